/** The HTML Keycloak's browser flow shows: the login form and the error page. Plain, no scripts. */

function escape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escape(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

export function loginForm(opts: { realm: string; action: string; username?: string; error?: string }): string {
  const error = opts.error ? `<p id="input-error" role="alert">${escape(opts.error)}</p>\n` : '';
  return page(
    `Sign in to ${opts.realm}`,
    `<h1>Sign in to your account</h1>
${error}<form id="kc-form-login" method="post" action="${escape(opts.action)}">
<label for="username">Username or email</label>
<input id="username" name="username" type="text" autocomplete="username" value="${escape(opts.username ?? '')}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button id="kc-login" name="login" type="submit">Sign In</button>
</form>`,
  );
}

export function loggedOutPage(): string {
  return page('Signing out', '<h1>You are logged out</h1>');
}

export function errorPage(message: string): string {
  return page('We are sorry...', `<h1>We are sorry...</h1>\n<p id="kc-error-message">${escape(message)}</p>`);
}
