/** The page shell: the logout button. */
import { api, ctx, showError } from "./common.js";

document.getElementById("logout")?.addEventListener("click", () => {
  api.logout().then(() => location.assign(ctx.urls.home), showError);
});
