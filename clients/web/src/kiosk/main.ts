import { createApp } from "vue";
import "./kiosk.css";
import KioskApp from "./KioskApp.vue";

createApp(KioskApp).mount("#app");
