// i18n.js holds the app's words in Simplified Chinese (default) and English, and formats times
// and money for the current locale.

const zh = {
  'app.name': '家铃 homebell',
  'app.tagline': '上门家政的通知与沟通',
  'lang.switch': 'English',
  'signin.title': '选择一位演示用户登录',
  'signin.hint': '演示模式：点选任一人物即可体验对应角色。',
  'signin.token': '请粘贴平台签发的访问令牌',
  'signin.tokenHint': '服务模式下由平台签发 JWT；粘贴后即可登录。',
  'signin.go': '登录',
  'signout': '退出',
  'role.customer': '客户', 'role.worker': '家政人员', 'role.agent': '客服', 'role.operator': '运营',
  'nav.book': '预约', 'nav.orders': '我的订单', 'nav.schedule': '我的日程', 'nav.allOrders': '订单',
  'nav.open': '待接订单', 'nav.approvals': '待审批', 'nav.platform': '平台设置', 'nav.inbox': '消息',
  'nav.settings': '设置', 'nav.support': '客服工作台',
  'common.loading': '加载中…', 'common.empty': '暂无内容', 'common.retry': '重试', 'common.save': '保存',
  'common.saved': '已保存', 'common.cancel': '取消', 'common.confirm': '确认', 'common.back': '返回',
  'common.reason': '原因', 'common.submit': '提交', 'common.minutes': '{n} 分钟', 'common.more': '加载更多',
  'common.close': '关闭', 'common.error': '出错了', 'common.notReady': '此功能的服务端尚未就绪：{detail}',
  'book.title': '预约服务', 'book.pick': '选择服务项目', 'book.address': '服务地址', 'book.addressPh': '例如：浦东新区世纪大道 100 号 2 栋 1203',
  'book.time': '预约时间', 'book.requirements': '服务要求', 'book.requirementsPh': '例如：重点清洁厨房油污，家里有猫',
  'book.submit': '提交预约', 'book.review': '下一步：核对订单', 'book.confirm': '确认下单', 'book.edit': '返回修改',
  'book.summary': '请核对订单', 'book.summaryNote': '确认后订单将发给附近的家政人员。', 'book.chosen': '已选：{name}',
  'book.needItem': '请选择服务项目', 'book.needAddress': '请填写服务地址', 'book.needStreet': '请写到街道和门牌号，例如：世纪大道 100 号 2 栋 1203',
  'book.needTime': '请选择预约时间', 'book.addressHint': '写到街道、门牌号和房间号，方便家政人员上门', 'book.done': '预约已提交，等待家政人员接单', 'book.duration': '约 {n} 分钟',
  'orders.title': '我的订单', 'orders.scheduleTitle': '我的日程', 'orders.allTitle': '全部订单', 'orders.openTitle': '待接订单',
  'orders.empty': '还没有订单', 'orders.openEmpty': '暂时没有待接的订单', 'orders.accept': '接单', 'orders.accepted': '已接单',
  'status.pending': '待接单', 'status.open': '待接单', 'status.created': '待接单', 'status.accepted': '已接单',
  'status.assigned': '已派单', 'status.in_progress': '服务中', 'status.started': '服务中', 'status.completed': '已完成',
  'status.cancelled': '已取消', 'status.canceled': '已取消', 'status.cancellation_requested': '取消审批中',
  'order.title': '订单详情', 'order.item': '服务项目', 'order.time': '预约时间', 'order.address': '地址',
  'order.requirements': '服务要求', 'order.amount': '金额', 'order.status': '状态', 'order.worker': '服务人员',
  'order.customer': '客户', 'order.noWorker': '等待接单', 'order.timeline': '订单动态', 'order.deliveries': '送达记录',
  'order.start': '开始服务', 'order.complete': '确认完成', 'order.changeTime': '申请改期', 'order.newTime': '新的时间',
  'order.changeSent': '改期申请已提交', 'order.pendingChange': '待确认的改期', 'order.changeFromTo': '{from} → {to}',
  'order.changeBy': '{name} 申请', 'order.acceptChange': '同意改期', 'order.declineChange': '拒绝', 'order.declineReason': '拒绝原因（可选）',
  'order.askWorker': '更换服务人员', 'order.withdraw': '退出此单', 'order.workerChangeSent': '更换申请已提交',
  'order.cancel': '取消订单', 'order.quote': '取消须知', 'order.refund': '退款金额', 'order.refundEta': '预计到账',
  'order.noRefund': '本单取消不退款', 'order.needsApproval': '需运营审批后生效', 'order.cancelConfirm': '确认取消',
  'order.cancelled': '订单已取消', 'order.cancelRequested': '取消申请已提交，等待审批',
  'order.reassign': '改派服务人员', 'order.pickWorker': '选择服务人员', 'order.reassigned': '已改派',
  'order.approveCancel': '批准取消', 'order.declineCancel': '驳回取消', 'order.review': '服务已完成，欢迎评价',
  'order.reviewLater': '评价功能即将上线',
  'order.workerChangePending': '已申请更换服务人员', 'order.requestedAt': '{at} 申请', 'order.workerChangeWait': '运营会为您安排新的服务人员，安排好后会通知您。',
  'order.workerChangeOperator': '客户希望换一位服务人员：用「改派服务人员」选择新的服务人员。',
  'order.goneWorker': '这个订单已不再由您负责', 'order.goneWorkerNote': '运营已将订单改派给其他服务人员，或您已退出此单。您不需要再上门，日程里也不会再有它。',
  'order.goneSchedule': '查看我的日程', 'order.goneTitle': '找不到这个订单', 'order.goneNote': '订单可能已被删除，或您无权查看。', 'order.goneList': '返回订单列表', 'order.fee': '手续费',
  'inbox.title': '消息中心', 'inbox.sortTime': '按时间', 'inbox.sortImportance': '按重要性', 'inbox.unreadOnly': '只看未读',
  'inbox.search': '搜索消息', 'inbox.markAll': '全部已读', 'inbox.markCategory': '本类已读', 'inbox.empty': '没有消息',
  'inbox.all': '全部', 'cat.service': '服务', 'cat.exception': '异常', 'cat.platform': '平台资讯', 'cat.interaction': '互动',
  'imp.critical': '紧急', 'imp.high': '重要', 'imp.normal': '普通', 'imp.low': '一般', 'inbox.unread': '未读',
  'settings.title': '通知设置', 'settings.categories': '按类型接收', 'settings.kinds': '按消息种类',
  'settings.catNote.service': '服务与异常通知始终保留在消息中心，可关闭提醒但不会丢失。',
  'settings.window': '接收时段', 'settings.windowOn': '只在此时段提醒我', 'settings.windowStart': '开始', 'settings.windowEnd': '结束',
  'settings.tz': '时区', 'settings.alert': '提醒方式', 'alert.sound': '声音', 'alert.vibration': '振动', 'alert.badge': '仅角标',
  'settings.perCategory': '按类型设置提醒方式', 'settings.same': '同上', 'settings.language': '语言',
  'settings.push': '浏览器推送', 'settings.pushOn': '开启浏览器推送', 'settings.pushDone': '已开启浏览器推送',
  'settings.pushDenied': '浏览器未授权通知', 'settings.test': '试听提醒',
  'approvals.time_change': '改期申请', 'approvals.worker_change': '更换服务人员申请', 'approvals.workerChangeWhat': '客户希望换一位服务人员：选择新的服务人员改派即完成。',
  'approvals.count': '{n} 项待处理', 'approvals.approved': '已批准', 'approvals.declined': '已驳回', 'common.reasonIs': '原因：{reason}',
  'approvals.title': '待审批', 'approvals.empty': '没有待审批事项', 'approvals.approve': '批准', 'approvals.decline': '驳回',
  'approvals.timeChange': '改期申请', 'approvals.cancellation': '取消申请', 'approvals.open': '查看订单', 'approvals.note': '审批意见（可选）',
  'bulk.title': '批量取消（恶劣天气等）', 'bulk.area': '区域', 'bulk.from': '开始时间', 'bulk.to': '结束时间',
  'bulk.submit': '批量取消', 'bulk.done': '已取消 {n} 个订单', 'bulk.confirm': '确定取消该区域该时段内的所有订单？',
  'platform.title': '平台设置', 'platform.policies': '提醒与退改规则', 'platform.importance': '消息重要性',
  'key.reminder_lead_minutes': '服务前提醒提前量（分钟）', 'key.change_operator_window_minutes': '距服务多少分钟内改期需运营审批',
  'key.change_answer_minutes': '改期申请答复时限（分钟）', 'key.refund': '退款规则', 'key.free_before_hours': '提前多少小时取消免费',
  'key.fee_percent': '临近取消手续费（%）', 'key.approval_within_hours': '距服务多少小时内取消需审批', 'key.refund_days': '退款到账天数',
  'key.service_days': '服务通知保留天数', 'key.exception_days': '异常通知保留天数', 'key.platform_days': '平台通知保留天数', 'key.interaction_days': '互动消息保留天数',
  'key.days': '保留天数', 'key.retention_days': '保留天数', 'key.kinds': '各类消息',
  'platform.retention': '消息保留期', 'platform.leadByItem': '按服务项目设置提醒提前量（分钟，留空用平台默认）', 'platform.defaults': '新用户默认通知偏好',
  'support.title': '客服工作台', 'support.later': '在线客服会话将在后续版本上线。',
  'stream.retrying': '连接中断，正在重连…',
  'status.in_service': '服务中', 'order.awaitOperator': '改期临近服务时间，需运营审批', 'order.awaitOther': '等待对方确认',
  'order.readAt': '{at} 已读', 'dstate.queued': '排队中', 'dstate.sent': '已送达', 'dstate.failed': '失败', 'dstate.retrying': '重试中', 'dstate.skipped': '已跳过', 'channel.inbox': '消息中心', 'channel.realtime': '实时推送', 'channel.webpush': '浏览器推送', 'channel.webhook': 'Webhook',
  'policy.free': '免费取消（距服务时间充足）', 'policy.late_fee': '临近服务取消，收取手续费', 'policy.operator': '平台取消，全额退款', 'policy.force_majeure': '不可抗力取消，全额退款',
  'policy.worker_side': '服务人员取消，全额退款', 'policy.not_accepted': '尚无人接单，全额退款',
  'ev.created': '下单', 'ev.accepted': '已接单', 'ev.assigned': '运营派单', 'ev.started': '开始服务', 'ev.completed': '服务完成',
  'ev.cancellation_requested': '申请取消', 'ev.cancelled': '订单取消', 'ev.cancellation_declined': '取消被驳回', 'ev.refund_settled': '退款到账',
  'ev.rescheduled': '服务改期', 'ev.time_change_requested': '申请改期', 'ev.time_change_declined': '改期被拒绝', 'ev.time_change_escalated': '改期转运营处理',
  'ev.worker_change_requested': '申请更换服务人员', 'ev.worker_withdrawn': '服务人员退出',
  // errors: problem codes, the fields at fault, and the server's phrasings we know
  'err.invalid': '请检查填写的内容', 'err.invalidFields': '请检查：{fields}', 'err.fieldIs': '{field}{why}', 'err.sep': '；',
  'err.unauthenticated': '登录已失效，请重新登录', 'err.forbidden': '您没有权限进行此操作',
  'err.not_found': '找不到该内容，它可能已被删除，或您已无权查看', 'err.conflict': '情况已有变化，请刷新后再试',
  'err.invalid_transition': '订单当前的状态不允许此操作', 'err.idempotency_key_reused': '请求重复，请刷新后再试',
  'err.idempotency_in_progress': '上一次提交仍在处理中，请稍候', 'err.payload_too_large': '内容太长了',
  'err.rate_limited': '操作太频繁，请稍后再试', 'err.unavailable': '服务暂时不可用，请稍后再试', 'err.internal': '服务器出错了，请稍后再试',
  'err.network': '网络连接失败，请检查网络后重试', 'err.method_not_allowed': '此操作暂不支持', 'err.unsupported_media_type': '此操作暂不支持', 'err.unknown': '出错了，请稍后再试',
  'fieldMsg.future': '须晚于当前时间', 'fieldMsg.required': '不能为空', 'fieldMsg.tooLong': '太长了（最多 {n} 字）',
  'fieldMsg.timeZone': '不是有效的时区', 'fieldMsg.window': '开始与结束时间不能相同', 'fieldMsg.unknown': '不存在', 'fieldMsg.time': '不是有效的时间', 'fieldMsg.invalid': '填写有误',
  'field.other': '某一项', 'field.appointment_at': '预约时间', 'field.address': '服务地址', 'field.service_item_id': '服务项目',
  'field.requirements': '服务要求', 'field.reason': '原因', 'field.new_time': '新的时间', 'field.worker_id': '服务人员',
  'field.time_zone': '时区', 'field.preferences': '通知设置', 'field.window': '接收时段', 'field.locale': '语言', 'field.area': '区域',
  'field.from': '开始时间', 'field.to': '结束时间', 'field.customer_id': '客户', 'field.name': '名称', 'field.url': '地址', 'field.status': '状态',
  'nav.campaigns': '营销活动',
  'campaign.title': '营销活动', 'campaign.list': '活动列表', 'campaign.none': '还没有活动', 'campaign.write': '新建活动',
  'campaign.kind': '类型', 'campaign.kind.promotion': '优惠活动', 'campaign.kind.new_service': '新服务上线',
  'campaign.titleZh': '标题（中文）', 'campaign.titleEn': '标题（英文）', 'campaign.bodyZh': '内容（中文）', 'campaign.bodyEn': '内容（英文）',
  'campaign.items': '适用服务', 'campaign.rules': '优惠规则', 'campaign.threshold': '满（元）', 'campaign.save': '减（元）',
  'campaign.percent': '折扣（减百分之几）', 'campaign.cap': '最多减（元）', 'campaign.newOnly': '仅限新客户',
  'campaign.starts': '开始时间', 'campaign.ends': '结束时间', 'campaign.period': '活动时间',
  'campaign.audience': '发送对象', 'campaign.aud.all': '全部客户', 'campaign.aud.new_customers': '新客户（未完成过订单）',
  'campaign.aud.items': '用过指定服务的客户', 'campaign.aud.areas': '指定区域的客户', 'campaign.aud.list': '指定名单',
  'campaign.areas': '区域（逗号分隔）', 'campaign.areasPh': '例如：浦东新区, 徐汇区', 'campaign.people': '用户 ID（逗号或换行分隔）',
  'campaign.estimate': '预计覆盖 {n} 人（未计入已关闭平台资讯的用户）', 'campaign.estimateNone': '请完善发送对象后查看预计人数',
  'campaign.when': '发送时间', 'campaign.when.now': '立即发送', 'campaign.when.later': '定时发送', 'campaign.sendAt': '发送于',
  'campaign.preview': '客户看到的样子', 'campaign.send': '发送', 'campaign.sent': '已发送', 'campaign.scheduled': '已安排定时发送',
  'campaign.cancel': '取消发送', 'campaign.cancelled': '活动已取消',
  'campaign.status.scheduled': '待发送', 'campaign.status.live': '进行中', 'campaign.status.cancelled': '已取消', 'campaign.status.ended': '已结束',
  'campaign.stats': '数据', 'campaign.stat.audience': '覆盖', 'campaign.stat.pushed': '推送', 'campaign.stat.capped': '频控拦截',
  'campaign.stat.deferred': '待时段推送', 'campaign.stat.delivered': '送达', 'campaign.stat.read': '已读', 'campaign.stat.opened': '查看详情',
  'campaign.image': '配图（可选）', 'campaign.imageDone': '图片已上传', 'campaign.imageFailed': '图片上传失败，请换一张 JPEG/PNG/WebP 图片',
  'service.features': '服务特点', 'service.advantages': '服务优势', 'service.suits': '适用场景', 'service.book': '立即预约',
};

const en = {
  'app.name': 'homebell', 'app.tagline': 'Notifications and messages for home services',
  'lang.switch': '中文',
  'signin.title': 'Sign in as a demo person', 'signin.hint': 'Demo mode: pick anyone to try their role.',
  'signin.token': 'Paste the access token your platform issued', 'signin.tokenHint': 'In serve mode the platform issues a JWT; paste it to sign in.',
  'signin.go': 'Sign in', 'signout': 'Sign out',
  'role.customer': 'Customer', 'role.worker': 'Worker', 'role.agent': 'Agent', 'role.operator': 'Operator',
  'nav.book': 'Book', 'nav.orders': 'My orders', 'nav.schedule': 'Schedule', 'nav.allOrders': 'Orders',
  'nav.open': 'Open orders', 'nav.approvals': 'Approvals', 'nav.platform': 'Platform', 'nav.inbox': 'Messages',
  'nav.settings': 'Settings', 'nav.support': 'Support desk',
  'common.loading': 'Loading…', 'common.empty': 'Nothing here', 'common.retry': 'Retry', 'common.save': 'Save',
  'common.saved': 'Saved', 'common.cancel': 'Cancel', 'common.confirm': 'Confirm', 'common.back': 'Back',
  'common.reason': 'Reason', 'common.submit': 'Submit', 'common.minutes': '{n} min', 'common.more': 'Load more',
  'common.close': 'Close', 'common.error': 'Something went wrong', 'common.notReady': 'The server does not offer this yet: {detail}',
  'book.title': 'Book a service', 'book.pick': 'Choose a service', 'book.address': 'Address', 'book.addressPh': 'e.g. Apt 1203, Bldg 2, 100 Century Ave, Pudong',
  'book.time': 'Appointment', 'book.requirements': 'Requirements', 'book.requirementsPh': 'e.g. focus on the greasy kitchen; we have a cat',
  'book.submit': 'Book now', 'book.review': 'Next: check your order', 'book.confirm': 'Place the order', 'book.edit': 'Change something',
  'book.summary': 'Check your order', 'book.summaryNote': 'Once placed, the order goes to workers nearby.', 'book.chosen': 'Chosen: {name}',
  'book.needItem': 'Choose a service', 'book.needAddress': 'Enter the address', 'book.needStreet': 'Give the street and number, e.g. Apt 1203, 100 Century Ave',
  'book.needTime': 'Choose a time', 'book.addressHint': 'Street, number and apartment, so the worker finds you', 'book.done': 'Booked — waiting for a worker to accept', 'book.duration': 'about {n} min',
  'orders.title': 'My orders', 'orders.scheduleTitle': 'My schedule', 'orders.allTitle': 'All orders', 'orders.openTitle': 'Open orders',
  'orders.empty': 'No orders yet', 'orders.openEmpty': 'No open orders right now', 'orders.accept': 'Accept', 'orders.accepted': 'Accepted',
  'status.pending': 'Waiting', 'status.open': 'Waiting', 'status.created': 'Waiting', 'status.accepted': 'Accepted',
  'status.assigned': 'Assigned', 'status.in_progress': 'In progress', 'status.started': 'In progress', 'status.completed': 'Completed',
  'status.cancelled': 'Cancelled', 'status.canceled': 'Cancelled', 'status.cancellation_requested': 'Cancellation pending',
  'order.title': 'Order', 'order.item': 'Service', 'order.time': 'Appointment', 'order.address': 'Address',
  'order.requirements': 'Requirements', 'order.amount': 'Amount', 'order.status': 'Status', 'order.worker': 'Worker',
  'order.customer': 'Customer', 'order.noWorker': 'Waiting for a worker', 'order.timeline': 'Timeline', 'order.deliveries': 'Deliveries',
  'order.start': 'Start service', 'order.complete': 'Mark completed', 'order.changeTime': 'Ask for a new time', 'order.newTime': 'New time',
  'order.changeSent': 'Time change requested', 'order.pendingChange': 'Time change waiting', 'order.changeFromTo': '{from} → {to}',
  'order.changeBy': 'asked by {name}', 'order.acceptChange': 'Accept new time', 'order.declineChange': 'Decline', 'order.declineReason': 'Reason for declining (optional)',
  'order.askWorker': 'Ask for another worker', 'order.withdraw': 'Withdraw from order', 'order.workerChangeSent': 'Worker change requested',
  'order.cancel': 'Cancel order', 'order.quote': 'Before you cancel', 'order.refund': 'Refund', 'order.refundEta': 'Arrives by',
  'order.noRefund': 'No refund for this cancellation', 'order.needsApproval': 'An operator must approve it', 'order.cancelConfirm': 'Cancel the order',
  'order.cancelled': 'Order cancelled', 'order.cancelRequested': 'Cancellation requested; waiting for approval',
  'order.reassign': 'Reassign worker', 'order.pickWorker': 'Choose a worker', 'order.reassigned': 'Reassigned',
  'order.approveCancel': 'Approve cancellation', 'order.declineCancel': 'Decline cancellation', 'order.review': 'Service completed — please review it',
  'order.reviewLater': 'Reviews are coming soon',
  'order.workerChangePending': 'Another worker requested', 'order.requestedAt': 'asked {at}', 'order.workerChangeWait': 'An operator will arrange another worker and tell you.',
  'order.workerChangeOperator': 'The customer asks for another worker: use "Reassign worker" to choose one.',
  'order.goneWorker': 'This order is no longer yours', 'order.goneWorkerNote': 'An operator gave it to another worker, or you withdrew. You need not go, and it has left your schedule.',
  'order.goneSchedule': 'See my schedule', 'order.goneTitle': 'Order not found', 'order.goneNote': 'It may have been removed, or you may not see it.', 'order.goneList': 'Back to the orders', 'order.fee': 'Fee',
  'inbox.title': 'Message center', 'inbox.sortTime': 'Newest', 'inbox.sortImportance': 'Most important', 'inbox.unreadOnly': 'Unread only',
  'inbox.search': 'Search messages', 'inbox.markAll': 'Mark all read', 'inbox.markCategory': 'Mark these read', 'inbox.empty': 'No messages',
  'inbox.all': 'All', 'cat.service': 'Service', 'cat.exception': 'Exceptions', 'cat.platform': 'Platform news', 'cat.interaction': 'Interaction',
  'imp.critical': 'Critical', 'imp.high': 'High', 'imp.normal': 'Normal', 'imp.low': 'Low', 'inbox.unread': 'Unread',
  'settings.title': 'Notification settings', 'settings.categories': 'By category', 'settings.kinds': 'By kind',
  'settings.catNote.service': 'Service and exception notices always stay in the message center; you can mute their alerts.',
  'settings.window': 'Receiving window', 'settings.windowOn': 'Only alert me in this window', 'settings.windowStart': 'From', 'settings.windowEnd': 'To',
  'settings.tz': 'Time zone', 'settings.alert': 'Alert style', 'alert.sound': 'Sound', 'alert.vibration': 'Vibration', 'alert.badge': 'Badge only',
  'settings.perCategory': 'Alert style per category', 'settings.same': 'Same as above', 'settings.language': 'Language',
  'settings.push': 'Browser push', 'settings.pushOn': 'Turn on browser push', 'settings.pushDone': 'Browser push is on',
  'settings.pushDenied': 'The browser did not allow notifications', 'settings.test': 'Try the alert',
  'approvals.time_change': 'Time change', 'approvals.worker_change': 'Another worker requested', 'approvals.workerChangeWhat': 'The customer asks for another worker: choose one and reassign to settle it.',
  'approvals.count': '{n} waiting', 'approvals.approved': 'Approved', 'approvals.declined': 'Declined', 'common.reasonIs': 'Reason: {reason}',
  'approvals.title': 'Waiting for approval', 'approvals.empty': 'Nothing waits for approval', 'approvals.approve': 'Approve', 'approvals.decline': 'Decline',
  'approvals.timeChange': 'Time change', 'approvals.cancellation': 'Cancellation', 'approvals.open': 'Open order', 'approvals.note': 'Note (optional)',
  'bulk.title': 'Cancel in bulk (bad weather etc.)', 'bulk.area': 'Area', 'bulk.from': 'From', 'bulk.to': 'To',
  'bulk.submit': 'Cancel all', 'bulk.done': '{n} orders cancelled', 'bulk.confirm': 'Cancel every order in this area and time range?',
  'platform.title': 'Platform settings', 'platform.policies': 'Reminders, refunds and changes', 'platform.importance': 'Importance per kind',
  'key.reminder_lead_minutes': 'Reminder before the service (minutes)', 'key.change_operator_window_minutes': 'Time changes this close (minutes) need an operator',
  'key.change_answer_minutes': 'Time to answer a change request (minutes)', 'key.refund': 'Refund rules', 'key.free_before_hours': 'Free cancellation up to (hours before)',
  'key.fee_percent': 'Late cancellation fee (%)', 'key.approval_within_hours': 'Cancellations this close (hours) need approval', 'key.refund_days': 'Days until the refund arrives',
  'key.service_days': 'Days to keep service notices', 'key.exception_days': 'Days to keep exception notices', 'key.platform_days': 'Days to keep platform notices', 'key.interaction_days': 'Days to keep interaction messages',
  'key.days': 'Days kept', 'key.retention_days': 'Days kept', 'key.kinds': 'Kinds',
  'platform.retention': 'Retention', 'platform.leadByItem': 'Reminder lead per service item (minutes; empty = platform default)', 'platform.defaults': 'Default preferences for new people',
  'support.title': 'Support desk', 'support.later': 'Support chat comes in a later version.',
  'stream.retrying': 'Connection lost, reconnecting…',
  'status.in_service': 'In service', 'order.awaitOperator': 'Close to the appointment: an operator decides', 'order.awaitOther': 'Waiting for the other party',
  'order.readAt': 'read {at}', 'dstate.queued': 'queued', 'dstate.sent': 'sent', 'dstate.failed': 'failed', 'dstate.retrying': 'retrying', 'dstate.skipped': 'skipped', 'channel.inbox': 'message center', 'channel.realtime': 'live', 'channel.webpush': 'web push', 'channel.webhook': 'webhook',
  'policy.free': 'Free cancellation (enough notice)', 'policy.late_fee': 'Late cancellation: a fee applies', 'policy.operator': 'Cancelled by the platform: full refund', 'policy.force_majeure': 'Force majeure: full refund',
  'policy.worker_side': 'Cancelled by the worker: full refund', 'policy.not_accepted': 'Nobody had accepted yet: full refund',
  'ev.created': 'Booked', 'ev.accepted': 'Accepted', 'ev.assigned': 'Assigned by operator', 'ev.started': 'Service started', 'ev.completed': 'Service completed',
  'ev.cancellation_requested': 'Cancellation requested', 'ev.cancelled': 'Cancelled', 'ev.cancellation_declined': 'Cancellation declined', 'ev.refund_settled': 'Refund settled',
  'ev.rescheduled': 'Rescheduled', 'ev.time_change_requested': 'Time change requested', 'ev.time_change_declined': 'Time change declined', 'ev.time_change_escalated': 'Time change sent to operators',
  'ev.worker_change_requested': 'Worker change requested', 'ev.worker_withdrawn': 'Worker withdrew',
  'err.invalid': 'Please check what you entered', 'err.invalidFields': 'Please check: {fields}', 'err.fieldIs': '{field} {why}', 'err.sep': '; ',
  'err.unauthenticated': 'You were signed out; please sign in again', 'err.forbidden': 'You may not do this',
  'err.not_found': 'Not found: it may have been removed, or it is no longer yours to see', 'err.conflict': 'Something changed meanwhile; refresh and try again',
  'err.invalid_transition': 'The order is no longer in a state that allows this', 'err.idempotency_key_reused': 'Repeated request; refresh and try again',
  'err.idempotency_in_progress': 'Your last attempt is still being handled; please wait', 'err.payload_too_large': 'That is too long',
  'err.rate_limited': 'Too many attempts; try again shortly', 'err.unavailable': 'The service is unavailable; try again shortly', 'err.internal': 'The server had a problem; try again shortly',
  'err.network': 'No connection; check your network and try again', 'err.method_not_allowed': 'Not supported', 'err.unsupported_media_type': 'Not supported', 'err.unknown': 'Something went wrong; try again shortly',
  'fieldMsg.future': 'must be in the future', 'fieldMsg.required': 'is required', 'fieldMsg.tooLong': 'is too long (at most {n} characters)',
  'fieldMsg.timeZone': 'is not a known time zone', 'fieldMsg.window': 'must start and end at different times', 'fieldMsg.unknown': 'does not exist', 'fieldMsg.time': 'is not a valid time', 'fieldMsg.invalid': 'is not valid',
  'field.other': 'One field', 'field.appointment_at': 'Appointment', 'field.address': 'Address', 'field.service_item_id': 'Service',
  'field.requirements': 'Requirements', 'field.reason': 'Reason', 'field.new_time': 'New time', 'field.worker_id': 'Worker',
  'field.time_zone': 'Time zone', 'field.preferences': 'Settings', 'field.window': 'Receiving window', 'field.locale': 'Language', 'field.area': 'Area',
  'field.from': 'From', 'field.to': 'To', 'field.customer_id': 'Customer', 'field.name': 'Name', 'field.url': 'URL', 'field.status': 'Status',
  'nav.campaigns': 'Campaigns',
  'campaign.title': 'Campaigns', 'campaign.list': 'Campaigns sent', 'campaign.none': 'No campaigns yet', 'campaign.write': 'New campaign',
  'campaign.kind': 'Kind', 'campaign.kind.promotion': 'Promotion', 'campaign.kind.new_service': 'New service',
  'campaign.titleZh': 'Title (Chinese)', 'campaign.titleEn': 'Title (English)', 'campaign.bodyZh': 'Text (Chinese)', 'campaign.bodyEn': 'Text (English)',
  'campaign.items': 'Service items', 'campaign.rules': 'Offer rules', 'campaign.threshold': 'Spend (¥)', 'campaign.save': 'Save (¥)',
  'campaign.percent': 'Percent off', 'campaign.cap': 'At most off (¥)', 'campaign.newOnly': 'New customers only',
  'campaign.starts': 'Starts', 'campaign.ends': 'Ends', 'campaign.period': 'Period',
  'campaign.audience': 'Audience', 'campaign.aud.all': 'All customers', 'campaign.aud.new_customers': 'New customers (no completed order)',
  'campaign.aud.items': 'Customers who used given items', 'campaign.aud.areas': 'Customers in given areas', 'campaign.aud.list': 'A list of people',
  'campaign.areas': 'Areas (comma-separated)', 'campaign.areasPh': 'e.g. 浦东新区, 徐汇区', 'campaign.people': 'Person ids (commas or new lines)',
  'campaign.estimate': 'About {n} people (before platform-news opt-outs)', 'campaign.estimateNone': 'Complete the audience to see an estimate',
  'campaign.when': 'Send', 'campaign.when.now': 'Now', 'campaign.when.later': 'At a time', 'campaign.sendAt': 'sent',
  'campaign.preview': 'What customers see', 'campaign.send': 'Send', 'campaign.sent': 'Sent', 'campaign.scheduled': 'Scheduled',
  'campaign.cancel': 'Cancel sending', 'campaign.cancelled': 'Campaign cancelled',
  'campaign.status.scheduled': 'Scheduled', 'campaign.status.live': 'Running', 'campaign.status.cancelled': 'Cancelled', 'campaign.status.ended': 'Ended',
  'campaign.stats': 'Numbers', 'campaign.stat.audience': 'Audience', 'campaign.stat.pushed': 'Pushed', 'campaign.stat.capped': 'Capped',
  'campaign.stat.deferred': 'Waited for window', 'campaign.stat.delivered': 'Delivered', 'campaign.stat.read': 'Read', 'campaign.stat.opened': 'Opened',
  'campaign.image': 'Image (optional)', 'campaign.imageDone': 'Image uploaded', 'campaign.imageFailed': 'The image could not be uploaded; try a JPEG, PNG or WebP',
  'service.features': 'Features', 'service.advantages': 'Advantages', 'service.suits': 'When it fits', 'service.book': 'Book now',
};

const dicts = { 'zh-CN': zh, en };

/** I18n translates keys and formats values for one locale. */
export class I18n {
  constructor(locale) { this.set(locale); }

  set(locale) {
    this.locale = locale === 'en' ? 'en' : 'zh-CN';
    document.documentElement.lang = this.locale;
  }

  /** t returns the text of key with {name} placeholders filled; unknown keys show themselves. */
  t(key, vars) {
    let s = dicts[this.locale][key] ?? zh[key] ?? key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] ?? m));
    return s;
  }

  /** has tells whether key has words (in this locale or the Chinese default). */
  has(key) { return key in dicts[this.locale] || key in zh; }

  /** text picks the right language from {"zh-CN", "en"} (or returns a plain string). */
  text(v) {
    if (!v) return '';
    if (typeof v === 'string') return v;
    return (this.locale === 'en' ? v.en || v['zh-CN'] : v['zh-CN'] || v.en) || '';
  }

  time(iso, tz) {
    if (!iso) return '';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const opt = { month: 'numeric', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false };
    if (tz) opt.timeZone = tz;
    try { return d.toLocaleString(this.locale, opt); } catch { return d.toLocaleString(this.locale); }
  }

  money(cents) {
    if (cents === undefined || cents === null) return '';
    return `¥${(Number(cents) / 100).toFixed(2)}`;
  }

  /** label turns an unknown enum value into words: a key if one exists, else the value itself. */
  label(prefix, v) {
    const k = `${prefix}.${v}`;
    return (dicts[this.locale][k] || zh[k]) ? this.t(k) : String(v ?? '');
  }
}
