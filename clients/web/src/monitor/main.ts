import { createApp } from "vue";
import "./element";
import "../staff/staff.css";
import MonitorApp from "./MonitorApp.vue";

createApp(MonitorApp).mount("#app");
