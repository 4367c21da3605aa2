/** The login form: POST core/login with a CSRF token, then open the user's dashboard (the home URL). */
import { ctx } from "./common.js";

const form = document.getElementById("login");
const error = document.getElementById("error");

form.addEventListener("submit", (event) => {
  event.preventDefault();
  globalThis.client.login(form.username.value, form.password.value).then(
    () => location.assign(ctx.urls.home),
    (failure) => {
      error.hidden = false;
      error.textContent = failure.status === 403 ? "Wrong user name or password." : failure.responseText || failure.message;
    }
  );
});
