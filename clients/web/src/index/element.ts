// Element Plus styles of the components the sign-in page uses (imported one by one, so the
// page does not carry the whole library's CSS).
import "element-plus/es/components/config-provider/style/css";
import "element-plus/es/components/card/style/css";
import "element-plus/es/components/form/style/css";
import "element-plus/es/components/form-item/style/css";
import "element-plus/es/components/input/style/css";
import "element-plus/es/components/button/style/css";
import "element-plus/es/components/alert/style/css";
import "element-plus/es/components/empty/style/css";
import "element-plus/es/components/tag/style/css";
import "element-plus/es/components/skeleton/style/css";
