import { createApp } from "vue";
import "./element";
import "../staff/staff.css";
import App from "./App.vue";

createApp(App).mount("#app");
