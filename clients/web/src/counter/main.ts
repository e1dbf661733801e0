import { createApp } from "vue";
import "./counter.css";
import CounterApp from "./CounterApp.vue";

createApp(CounterApp).mount("#app");
