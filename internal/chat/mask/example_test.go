package mask_test

import (
	"fmt"

	"github.com/homebell/homebell/internal/chat/mask"
)

// The chat service masks a message on write and tells the sender which kinds it hid.
func ExampleMask() {
	r := mask.Mask("到了打我 +86 138-1234-5678，或者加微信 wang_ayi88")
	fmt.Println(r.Text)
	fmt.Println(r.Kinds())
	fmt.Println(mask.Mask("¥150，明天 14:30，世纪大道100号2栋1203").Masked())
	// Output:
	// 到了打我 138****5678，或者加微信 [联系方式已隐藏]
	// [phone wechat]
	// false
}
