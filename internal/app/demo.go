package app

import (
	"context"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// demoItems is the demo service catalogue.
var demoItems = []model.ServiceItem{
	{ID: "daily-cleaning", Name: model.Text{ZH: "日常保洁", EN: "Daily cleaning"},
		Description:     model.Text{ZH: "全屋除尘、拖地、厨房台面与卫生间清洁，适合每周例行打扫。", EN: "Dusting, mopping, kitchen counters and bathrooms: the weekly routine."},
		DurationMinutes: 180, PriceCents: 15000},
	{ID: "deep-cleaning", Name: model.Text{ZH: "深度保洁", EN: "Deep cleaning"},
		Description:     model.Text{ZH: "死角、油污、玻璃与柜内全面清洁，适合换季或入住前。", EN: "Corners, grease, windows and cupboards: before moving in or between seasons."},
		DurationMinutes: 360, PriceCents: 45000},
	{ID: "appliance-cleaning", Name: model.Text{ZH: "家电清洗", EN: "Appliance cleaning"},
		Description:     model.Text{ZH: "空调、油烟机、洗衣机拆洗消毒。", EN: "Air conditioners, range hoods and washing machines, taken apart, cleaned and disinfected."},
		DurationMinutes: 120, PriceCents: 20000},
	{ID: "nanny", Name: model.Text{ZH: "育儿嫂", EN: "Nanny"},
		Description:     model.Text{ZH: "婴幼儿看护、辅食制作与早教陪伴。", EN: "Infant care, baby food and early-learning play."},
		DurationMinutes: 480, PriceCents: 60000},
	{ID: "elder-care", Name: model.Text{ZH: "老人陪护", EN: "Elder care"},
		Description:     model.Text{ZH: "陪伴照料、助餐助浴、用药提醒。", EN: "Company and care, help with meals and bathing, medication reminders."},
		DurationMinutes: 480, PriceCents: 55000},
	{ID: "home-care-package", Name: model.Text{ZH: "居家养护套餐", EN: "Home-care package"},
		Description:     model.Text{ZH: "地板打蜡、皮具与家具保养，一次焕新。", EN: "Floor waxing, leather and furniture care in one visit."},
		DurationMinutes: 300, PriceCents: 68000},
}

// demoPeople are the people a visitor can sign in as.
var demoPeople = []model.Person{
	{ID: "c-lin", Role: model.RoleCustomer, Name: "林晓", AvatarURL: "/avatars/c-lin.svg", Bio: "", Phone: "13800000001", Area: "浦东新区"},
	{ID: "c-emma", Role: model.RoleCustomer, Name: "Emma Clark", AvatarURL: "/avatars/c-emma.svg", Locale: model.LocaleEN, Phone: "13800000002", Area: "静安区"},
	{ID: "w-wang", Role: model.RoleWorker, Name: "王阿姨", AvatarURL: "/avatars/w-wang.svg", Bio: "十年保洁经验，擅长深度清洁与收纳整理。", Phone: "13900000001", Area: "浦东新区"},
	{ID: "w-zhao", Role: model.RoleWorker, Name: "赵师傅", AvatarURL: "/avatars/w-zhao.svg", Bio: "家电清洗专家，持证上岗，做事细致。", Phone: "13900000002", Area: "浦东新区"},
	{ID: "w-li", Role: model.RoleWorker, Name: "李姐", AvatarURL: "/avatars/w-li.svg", Bio: "育婴师、养老护理员双证，耐心温和。", Phone: "13900000003", Area: "静安区"},
	{ID: "a-chen", Role: model.RoleAgent, Name: "客服小陈", AvatarURL: "/avatars/a-chen.svg", Bio: "在线客服", Phone: "13700000001"},
	{ID: "o-zhou", Role: model.RoleOperator, Name: "运营周经理", AvatarURL: "/avatars/o-zhou.svg", Bio: "平台运营", Phone: "13600000001"},
}

// SeedDemo writes the demo catalogue and people. Running it again changes nothing.
func (a *App) SeedDemo(ctx context.Context) error {
	err := a.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, it := range demoItems {
			it.Active = true
			if _, err := tx.ServiceItem(ctx, it.ID); err == nil {
				continue
			}
			if _, err := tx.UpsertServiceItem(ctx, &it, tx.Now()); err != nil {
				return err
			}
		}
		for _, p := range demoPeople {
			p.Normalize()
			if _, err := tx.Person(ctx, p.ID); err == nil {
				continue
			}
			if _, err := tx.UpsertPerson(ctx, &p, tx.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.seedDemoOrders(ctx) // demo_orders.go
}
