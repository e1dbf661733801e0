import { createApp } from "vue";
import "./display.css";
import DisplayApp from "./DisplayApp.vue";

createApp(DisplayApp).mount("#app");
