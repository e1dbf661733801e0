// Vant styles of the components the app uses (one by one, not the whole library).
import "vant/es/nav-bar/style/index";
import "vant/es/cell/style/index";
import "vant/es/cell-group/style/index";
import "vant/es/empty/style/index";
import "vant/es/tag/style/index";
import "vant/es/notice-bar/style/index";
import "vant/es/loading/style/index";
