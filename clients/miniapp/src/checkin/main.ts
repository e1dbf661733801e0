import { createApp } from "vue";
import "../vant";
import "../app.css";
import CheckinApp from "./CheckinApp.vue";

createApp(CheckinApp).mount("#app");
