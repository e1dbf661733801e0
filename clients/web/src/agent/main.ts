import { createApp } from "vue";
import "./element";
import "../staff/staff.css";
import "./agent.css";
import AgentApp from "./AgentApp.vue";

createApp(AgentApp).mount("#app");
