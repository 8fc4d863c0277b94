import { useState } from "preact/hooks";
import { html } from "../html.mjs";
import { say } from "../strings.mjs";

export function Login({ lang, act }) {
  const [error, setError] = useState("");
  function submit(e) {
    e.preventDefault();
    const form = e.currentTarget;
    act.login(form.email.value, form.password.value).then(() => { form.password.value = ""; })
      .catch((err) => setError(err.code === "too_many_attempts" ? "too_many_attempts" : "bad_credentials"));
  }
  return html`<section class="login">
    <h1>${say(lang, "login_title")}</h1>
    <form id="login-form" onSubmit=${submit}>
      <label>${say(lang, "email")} <input id="login-email" name="email" type="email" autocomplete="username" required /></label>
      <label>${say(lang, "password")} <input id="login-password" name="password" type="password" autocomplete="current-password" required /></label>
      <button type="submit">${say(lang, "login")}</button>
      ${error && html`<p class="error" role="alert">${say(lang, error)}</p>`}
    </form>
  </section>`;
}
