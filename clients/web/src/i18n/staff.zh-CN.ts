/** The staff screens' strings (counter workstation, back office), part of the zh-CN catalog. */
const staff = {
  workstation: {
    title: "窗口工作台",
  },
  admin: {
    title: "后台管理",
  },
};

export default staff;
