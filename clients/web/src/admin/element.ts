// The back office uses much of Element Plus: its whole stylesheet.
import "element-plus/dist/index.css";
