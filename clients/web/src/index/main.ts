import { createApp } from "vue";
import "./element";
import "../staff/theme.css";
import "./index.css";
import App from "./App.vue";

createApp(App).mount("#app");
