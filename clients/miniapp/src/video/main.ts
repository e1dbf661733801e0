import { createApp } from "vue";
import "../vant";
import "../app.css";
import VideoApp from "./VideoApp.vue";

createApp(VideoApp).mount("#app");
