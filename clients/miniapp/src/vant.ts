// Vant styles of the components the app uses (one by one, not the whole library).
import "vant/es/nav-bar/style/index";
import "vant/es/cell/style/index";
import "vant/es/cell-group/style/index";
import "vant/es/empty/style/index";
import "vant/es/tag/style/index";
import "vant/es/notice-bar/style/index";
import "vant/es/loading/style/index";
import "vant/es/button/style/index";
import "vant/es/field/style/index";
import "vant/es/popup/style/index";
import "vant/es/checkbox/style/index";
import "vant/es/checkbox-group/style/index";
import "vant/es/dialog/style/index";
import "vant/es/notify/style/index";
