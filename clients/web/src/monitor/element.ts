// The monitor uses much of Element Plus (tables, drawer, tabs, pagination): its whole
// stylesheet, as the back office does.
import "element-plus/dist/index.css";
