import { createApp } from "vue";
import "../vant";
import "../app.css";
import TakeApp from "./TakeApp.vue";

createApp(TakeApp).mount("#app");
