// Element Plus styles of the components the agent console uses (one by one: the page carries
// only what it shows).
import "element-plus/es/components/config-provider/style/css";
import "element-plus/es/components/card/style/css";
import "element-plus/es/components/form/style/css";
import "element-plus/es/components/form-item/style/css";
import "element-plus/es/components/input/style/css";
import "element-plus/es/components/button/style/css";
import "element-plus/es/components/button-group/style/css";
import "element-plus/es/components/alert/style/css";
import "element-plus/es/components/empty/style/css";
import "element-plus/es/components/tag/style/css";
import "element-plus/es/components/skeleton/style/css";
import "element-plus/es/components/select/style/css";
import "element-plus/es/components/option/style/css";
import "element-plus/es/components/dialog/style/css";
import "element-plus/es/components/radio-group/style/css";
import "element-plus/es/components/radio-button/style/css";
import "element-plus/es/components/progress/style/css";
import "element-plus/es/components/message/style/css";
import "element-plus/es/components/message-box/style/css";
import "element-plus/es/components/badge/style/css";
import "element-plus/es/components/tooltip/style/css";
