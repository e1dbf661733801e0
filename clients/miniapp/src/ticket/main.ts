import { createApp } from "vue";
import "../vant";
import "../app.css";
import TicketApp from "./TicketApp.vue";

createApp(TicketApp).mount("#app");
