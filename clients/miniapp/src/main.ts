import { createApp } from "vue";
import "./vant";
import "./app.css";
import App from "./App.vue";

createApp(App).mount("#app");
