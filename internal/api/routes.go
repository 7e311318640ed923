package api

import "net/http"

// routes is the one route table of homebell. Every route names the roles it admits (nil = public);
// the OpenAPI document must list exactly these routes (routes_test.go checks it).
func (a *API) routes() []route {
	return []route{
		// Health, metrics and the API description.
		{Pattern: "GET /healthz", Handler: a.healthz},
		{Pattern: "GET /readyz", Handler: a.readyz},
		{Pattern: "GET /openapi.yaml", Handler: a.openapi},

		// People and the catalogue: the platform syncs them with a service key.
		{Pattern: "GET /v1/me", Roles: people, Handler: a.getMe},
		{Pattern: "PATCH /v1/me", Roles: people, Handler: a.patchMe},
		{Pattern: "PUT /v1/people/{id}", Roles: platform, Handler: a.putPerson},
		{Pattern: "GET /v1/people/{id}", Roles: anyone, Handler: a.getPerson},
		{Pattern: "GET /v1/people", Roles: operators, Handler: a.listPeople},
		{Pattern: "GET /v1/service-items", Roles: anyone, Handler: a.listServiceItems},
		{Pattern: "GET /v1/service-items/{id}", Roles: anyone, Handler: a.getServiceItem},
		{Pattern: "PUT /v1/service-items/{id}", Roles: operators, Handler: a.putServiceItem},

		// Development sign-in, only in demo mode.
		{Pattern: "GET /v1/demo/people", Handler: a.demoPeople},
		{Pattern: "POST /v1/demo/sign-in", Handler: a.demoSignIn},

		// Realtime and off-app delivery (X1, X2)
		{Pattern: "GET /v1/stream", Roles: people, QueryToken: true, Handler: a.getStream},
		{Pattern: "GET /v1/events", Roles: people, QueryToken: true, Handler: a.getEvents},
		{Pattern: "GET /v1/push/vapid-public-key", Roles: people, Handler: a.getVAPIDPublicKey},
		{Pattern: "GET /v1/me/push-subscriptions", Roles: people, Handler: a.listPushSubscriptions},
		{Pattern: "POST /v1/me/push-subscriptions", Roles: people, Creates: true, Handler: a.postPushSubscription},
		{Pattern: "DELETE /v1/me/push-subscriptions/{id}", Roles: people, Handler: a.deletePushSubscription},
		{Pattern: "GET /v1/admin/webhooks", Roles: operators, Handler: a.listWebhooks},
		{Pattern: "POST /v1/admin/webhooks", Roles: operators, Creates: true, Handler: a.postWebhook},
		{Pattern: "PATCH /v1/admin/webhooks/{id}", Roles: operators, Handler: a.patchWebhook},
		{Pattern: "DELETE /v1/admin/webhooks/{id}", Roles: operators, Handler: a.deleteWebhook},
		{Pattern: "GET /v1/admin/deliveries", Roles: operators, Handler: a.listDeliveries},
		// Gateways' delivery receipts (Y1): signed with the endpoint's secret, no credential.
		{Pattern: "POST /v1/deliveries/receipts", Limit: limitNone, Handler: a.postReceipt},

		// Notices that must land (Y1): acknowledgement, SOS, escalations, per-kind chains
		{Pattern: "POST /v1/me/inbox/{id}/acknowledge", Roles: people, Limit: limitNone, Handler: a.postAcknowledge},
		{Pattern: "POST /v1/orders/{id}/acknowledge", Roles: workers, Limit: limitNone, Handler: a.postOrderAcknowledge},
		{Pattern: "POST /v1/orders/{id}/sos", Roles: raisers, Creates: true, Limit: limitNotify, Handler: a.postSOS},
		{Pattern: "POST /v1/sos/{id}/acknowledge", Roles: operatorsOnly, Handler: a.postSOSAcknowledge},
		{Pattern: "GET /v1/admin/escalations", Roles: operators, Handler: a.getEscalations},
		{Pattern: "GET /v1/admin/notice-chains", Roles: operators, Handler: a.getNoticeChains},
		{Pattern: "PUT /v1/admin/notice-chains", Roles: operators, Handler: a.putNoticeChains},

		// Act from the notice (Y2): from the message center or a Web Push button (the person's
		// session), or from the platform's gateway with a single-use action token.
		{Pattern: "POST /v1/me/inbox/{id}/actions/{action}", Roles: people, Creates: true, Limit: limitNotify, Handler: a.postNoticeAction},
		{Pattern: "POST /v1/actions/redeem", Roles: platform, Creates: true, Handler: a.postRedeemAction},

		// WeChat subscribe messages (Y3): bindings and authorisations from the platform backend;
		// templates and field mapping by operators.
		{Pattern: "PUT /v1/wechat/bindings/{id}", Roles: platform, Handler: a.putWeChatBinding},
		{Pattern: "DELETE /v1/wechat/bindings/{id}", Roles: platform, Handler: a.deleteWeChatBinding},
		{Pattern: "POST /v1/wechat/authorizations", Roles: platform, Creates: true, Handler: a.postWeChatAuthorizations},
		{Pattern: "GET /v1/wechat/people/{id}/ledger", Roles: operators, Handler: a.getWeChatLedger},
		{Pattern: "GET /v1/admin/wechat/templates", Roles: operators, Handler: a.listWeChatTemplates},
		{Pattern: "POST /v1/admin/wechat/templates", Roles: operators, Creates: true, Handler: a.postWeChatTemplate},
		{Pattern: "PUT /v1/admin/wechat/templates/{id}", Roles: operators, Handler: a.putWeChatTemplate},
		{Pattern: "DELETE /v1/admin/wechat/templates/{id}", Roles: operators, Handler: a.deleteWeChatTemplate},

		// Orders (N1-N3, E1-E3, X4)
		{Pattern: "POST /v1/orders", Roles: orderBookers, Creates: true, Handler: a.postOrder, Rebuild: a.rebuildOrder(http.StatusCreated)},
		{Pattern: "GET /v1/orders", Roles: orderParties, Handler: a.listOrders},
		{Pattern: "GET /v1/orders/open", Roles: orderWorkers, Handler: a.listOpenOrders},
		{Pattern: "GET /v1/orders/{id}", Roles: orderParties, Handler: a.getOrder},
		{Pattern: "POST /v1/orders/{id}/accept", Roles: workers, Creates: true, Handler: a.acceptOrder, Rebuild: a.rebuildOrder(http.StatusOK)},
		{Pattern: "POST /v1/orders/{id}/assign", Roles: operators, Creates: true, Handler: a.assignOrder, Rebuild: a.rebuildOrder(http.StatusOK)},
		{Pattern: "POST /v1/orders/{id}/on-the-way", Roles: workers, Creates: true, Handler: a.postOnTheWay, Limit: limitNotify, Rebuild: a.rebuildOrder(http.StatusOK)},
		{Pattern: "POST /v1/orders/{id}/check-in", Roles: workers, Creates: true, Handler: a.postCheckIn, Rebuild: a.rebuildOrder(http.StatusOK)},
		{Pattern: "POST /v1/orders/{id}/start", Roles: orderWorkers, Creates: true, Handler: a.startOrder, Rebuild: a.rebuildOrder(http.StatusOK)},
		{Pattern: "POST /v1/orders/{id}/complete", Roles: orderWorkers, Creates: true, Handler: a.completeOrder, Rebuild: a.rebuildOrder(http.StatusOK)},
		{Pattern: "POST /v1/orders/{id}/time-changes", Roles: orderParties, Creates: true, Handler: a.postTimeChange, Limit: limitNotify, Rebuild: a.rebuildTimeChange(http.StatusCreated)},
		{Pattern: "POST /v1/orders/{id}/time-changes/{change_id}/accept", Roles: orderParties, Creates: true, Handler: a.answerTimeChange(true), Limit: limitNotify, Rebuild: a.rebuildTimeChange(http.StatusOK)},
		{Pattern: "POST /v1/orders/{id}/time-changes/{change_id}/decline", Roles: orderParties, Creates: true, Handler: a.answerTimeChange(false), Limit: limitNotify, Rebuild: a.rebuildTimeChange(http.StatusOK)},
		{Pattern: "POST /v1/orders/{id}/worker-changes", Roles: orderParties, Creates: true, Handler: a.postWorkerChange, Limit: limitNotify},
		{Pattern: "GET /v1/orders/{id}/cancellation-quote", Roles: orderParties, Handler: a.getCancellationQuote},
		{Pattern: "POST /v1/orders/{id}/cancel", Roles: orderParties, Creates: true, Handler: a.cancelOrder, Limit: limitNotify, Rebuild: a.rebuildCancellation},
		{Pattern: "POST /v1/orders/{id}/cancellation/approve", Roles: operators, Creates: true, Handler: a.decideCancellation(true), Rebuild: a.rebuildCancellation},
		{Pattern: "POST /v1/orders/{id}/cancellation/decline", Roles: operators, Creates: true, Handler: a.decideCancellation(false), Rebuild: a.rebuildCancellation},
		{Pattern: "GET /v1/orders/cancel-bulk/preview", Roles: operators, Handler: a.previewBulk},
		{Pattern: "POST /v1/orders/cancel-bulk", Roles: operators, Creates: true, Handler: a.cancelBulk},
		{Pattern: "POST /v1/orders/{id}/refund/settled", Roles: operators, Creates: true, Handler: a.refundSettled, Rebuild: a.rebuildCancellation},
		{Pattern: "GET /v1/orders/{id}/timeline", Roles: orderParties, Handler: a.getOrderTimeline},
		{Pattern: "GET /v1/approvals", Roles: operators, Handler: a.getApprovals},
		{Pattern: "GET /v1/admin/policies", Roles: operators, Handler: a.getPolicies},
		{Pattern: "PUT /v1/admin/policies", Roles: operators, Handler: a.putPolicies},

		// The household (Y5): order watchers, invites by phone resolved by the platform.
		{Pattern: "GET /v1/household/watchers", Roles: householdReaders, Handler: a.listWatchers},
		{Pattern: "POST /v1/household/watchers", Roles: householdManagers, Creates: true, Limit: limitNotify, Handler: a.postWatcher, Rebuild: a.rebuildWatcher},
		{Pattern: "PATCH /v1/household/watchers/{id}", Roles: householdManagers, Handler: a.patchWatcher},
		{Pattern: "DELETE /v1/household/watchers/{id}", Roles: householdManagers, Handler: a.deleteWatcher},
		{Pattern: "GET /v1/household/invites", Roles: platform, Handler: a.listInvites},
		{Pattern: "POST /v1/household/invites/{id}/resolve", Roles: platform, Creates: true, Handler: a.resolveInvite},
		{Pattern: "GET /v1/household/watching", Roles: customers, Handler: a.listWatching},

		// Reviews and replies (I2)
		{Pattern: "GET /v1/review-tags", Roles: anyone, Handler: a.listReviewTags},
		{Pattern: "POST /v1/orders/{id}/review", Roles: customers, Creates: true, Handler: a.postReview, Limit: limitNotify},
		{Pattern: "GET /v1/orders/{id}/review", Roles: reviewParties, Handler: a.getReview},
		{Pattern: "PUT /v1/orders/{id}/review/reply", Roles: workers, Handler: a.putReviewReply, Limit: limitNotify},
		{Pattern: "POST /v1/orders/{id}/review/hide", Roles: operators, Creates: true, Handler: a.hideReview},
		{Pattern: "POST /v1/orders/{id}/review/reply/hide", Roles: operators, Creates: true, Handler: a.hideReviewReply},
		{Pattern: "GET /v1/me/reviews", Roles: reviewAuthors, Handler: a.listMyReviews},

		// Message center and settings (S1-S5)
		{Pattern: "GET /v1/me/inbox", Roles: people, Handler: a.getInbox},
		{Pattern: "GET /v1/me/inbox/unread", Roles: people, Handler: a.getUnread},
		{Pattern: "POST /v1/me/inbox/read", Roles: people, Limit: limitNone, Handler: a.postRead},
		{Pattern: "GET /v1/me/preferences", Roles: people, Handler: a.getPreferences},
		{Pattern: "PUT /v1/me/preferences", Roles: people, Handler: a.putPreferences},
		{Pattern: "GET /v1/kinds", Roles: anyone, Handler: a.listKinds},
		{Pattern: "GET /v1/admin/importance", Roles: operators, Handler: a.getImportance},
		{Pattern: "PUT /v1/admin/importance", Roles: operators, Handler: a.putImportance},
		{Pattern: "GET /v1/admin/retention", Roles: operators, Handler: a.getRetention},
		{Pattern: "PUT /v1/admin/retention", Roles: operators, Handler: a.putRetention},
		{Pattern: "GET /v1/admin/default-preferences", Roles: operators, Handler: a.getDefaultPreferences},
		{Pattern: "PUT /v1/admin/default-preferences", Roles: operators, Handler: a.putDefaultPreferences},

		// Images (I1, I3): upload, then read back by whoever may see them.
		{Pattern: "POST /v1/files", Roles: people, Limit: limitNotify, Handler: a.postFile},
		{Pattern: "GET /v1/files/{id}", Roles: people, Handler: a.getFile(false)},
		{Pattern: "GET /v1/files/{id}/thumbnail", Roles: people, Handler: a.getFile(true)},
		// Campaigns: promotions and new-service announcements (P1, P2)
		{Pattern: "GET /v1/campaigns", Roles: operators, Handler: a.listCampaigns},
		{Pattern: "POST /v1/campaigns", Roles: operators, Creates: true, Handler: a.postCampaign},
		{Pattern: "POST /v1/campaigns/estimate", Roles: operators, Handler: a.estimateCampaign},
		{Pattern: "GET /v1/campaigns/{id}", Roles: anyone, Handler: a.getCampaign},
		{Pattern: "PUT /v1/campaigns/{id}", Roles: operators, Handler: a.putCampaign},
		{Pattern: "POST /v1/campaigns/{id}/cancel", Roles: operators, Creates: true, Handler: a.cancelCampaign},
		{Pattern: "POST /v1/service-items/{id}/announce", Roles: operators, Creates: true, Handler: a.announceServiceItem},
		{Pattern: "GET /v1/admin/frequency-cap", Roles: operators, Handler: a.getFrequencyCap},
		{Pattern: "PUT /v1/admin/frequency-cap", Roles: operators, Handler: a.putFrequencyCap},
		// Feedback box (I4)
		{Pattern: "POST /v1/feedback", Roles: people, Creates: true, Limit: limitNotify, Handler: a.postFeedback},
		{Pattern: "GET /v1/me/feedback", Roles: people, Handler: a.listMyFeedback},
		{Pattern: "GET /v1/feedback/{id}", Roles: anyone, Handler: a.getFeedback},
		{Pattern: "GET /v1/admin/feedback", Roles: operators, Handler: a.listFeedback},
		{Pattern: "PATCH /v1/admin/feedback/{id}", Roles: operators, Handler: a.patchFeedback},
		{Pattern: "GET /v1/admin/feedback/export", Roles: operators, Handler: a.exportFeedback},
		{Pattern: "GET /v1/admin/feedback/weekly", Roles: operators, Handler: a.getFeedbackWeeks},
		// Conversations (I1): order chat, read receipts, typing
		{Pattern: "GET /v1/orders/{id}/conversation", Roles: chatParties, Handler: a.getOrderConversation},
		{Pattern: "GET /v1/me/conversations", Roles: people, Handler: a.listMyConversations},
		{Pattern: "GET /v1/conversations/{id}", Roles: chatParties, Handler: a.getConversation},
		{Pattern: "GET /v1/conversations/{id}/messages", Roles: chatParties, Handler: a.listMessages},
		{Pattern: "POST /v1/conversations/{id}/messages", Roles: people, Creates: true, Handler: a.postMessage, Rebuild: a.rebuildMessage},
		// An open chat posts a read position per arriving message and typing every few seconds:
		// neither counts against the creating bucket (typing is limited per conversation by chat).
		{Pattern: "POST /v1/conversations/{id}/read", Roles: people, Limit: limitNone, Handler: a.postConversationRead},
		{Pattern: "POST /v1/conversations/{id}/typing", Roles: people, Limit: limitNone, Handler: a.postTyping},
		{Pattern: "PUT /v1/conversations/{id}/mute", Roles: people, Handler: a.putMute},

		// Support desk settings (I3): agents' status and capacity, business hours, canned replies
		{Pattern: "GET /v1/support/me", Roles: agents, Handler: a.getSupportMe},
		{Pattern: "PUT /v1/support/me", Roles: agents, Handler: a.putSupportMe},
		{Pattern: "GET /v1/support/canned-replies", Roles: supportDesk, Handler: a.listCannedReplies},
		{Pattern: "POST /v1/admin/support/canned-replies", Roles: operators, Creates: true, Handler: a.postCannedReply},
		{Pattern: "PUT /v1/admin/support/canned-replies/{id}", Roles: operators, Handler: a.putCannedReply},
		{Pattern: "DELETE /v1/admin/support/canned-replies/{id}", Roles: operators, Handler: a.deleteCannedReply},
		{Pattern: "GET /v1/admin/support/agents", Roles: operators, Handler: a.listSupportAgents},
		{Pattern: "PUT /v1/admin/support/agents/{id}", Roles: operators, Handler: a.putSupportAgent},
		{Pattern: "GET /v1/admin/support/hours", Roles: operators, Handler: a.getBusinessHours},
		{Pattern: "PUT /v1/admin/support/hours", Roles: operators, Handler: a.putBusinessHours},
		{Pattern: "GET /v1/admin/support/satisfaction", Roles: operators, Handler: a.getSatisfaction},

		// Support conversations (I3): queue, assignment, transfer, statuses, notes, order panel,
		// ratings. Their messages, receipts and typing are the conversation routes above.
		{Pattern: "GET /v1/support/availability", Roles: people, Handler: a.getSupportAvailability},
		{Pattern: "POST /v1/support/conversations", Roles: requesters, Creates: true, Limit: limitNotify, Handler: a.postSupportConversation},
		{Pattern: "GET /v1/support/conversations", Roles: anyone, Handler: a.listSupportConversations},
		{Pattern: "GET /v1/support/queue", Roles: supportDesk, Handler: a.getSupportQueue},
		{Pattern: "GET /v1/support/agents", Roles: supportDesk, Handler: a.getDeskAgents},
		{Pattern: "GET /v1/support/conversations/{id}", Roles: anyone, Handler: a.getSupportConversation},
		{Pattern: "POST /v1/support/conversations/{id}/claim", Roles: agents, Handler: a.claimSupportConversation},
		{Pattern: "POST /v1/support/conversations/{id}/release", Roles: supportDesk, Handler: a.releaseSupportConversation},
		{Pattern: "POST /v1/support/conversations/{id}/transfer", Roles: supportDesk, Handler: a.transferSupportConversation},
		{Pattern: "PUT /v1/support/conversations/{id}/status", Roles: supportDesk, Handler: a.putSupportStatus},
		{Pattern: "POST /v1/support/conversations/{id}/notes", Roles: supportDesk, Creates: true, Handler: a.postSupportNote},
		{Pattern: "POST /v1/support/conversations/{id}/rating", Roles: requesters, Creates: true, Limit: limitNotify, Handler: a.postSupportRating},
		{Pattern: "GET /v1/support/conversations/{id}/orders", Roles: supportDesk, Handler: a.getSupportOrders},
		{Pattern: "GET /v1/support/conversations/{id}/orders/{order_id}/timeline", Roles: supportDesk, Handler: a.getSupportOrderTimeline},
		{Pattern: "GET /v1/support/conversations/{id}/canned-replies", Roles: supportDesk, Handler: a.getSupportCanned},

		{Pattern: "/v1/", Handler: a.notFoundRoute},
	}
}
