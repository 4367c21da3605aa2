/** The page shell: the logout button. */
import { api, showError } from "./common.js";

document.getElementById("logout")?.addEventListener("click", () => {
  api.logout().then(() => location.assign("/"), showError);
});
