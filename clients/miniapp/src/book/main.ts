import { createApp } from "vue";
import "../vant";
import "../app.css";
import BookApp from "./BookApp.vue";

createApp(BookApp).mount("#app");
