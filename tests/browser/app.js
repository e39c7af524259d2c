// A single-page app as people write them for Cognito: oidc-client-ts with the code flow and
// PKCE, the endpoints given as explicit metadata (the discovery document's issuer is AWS's
// string, not the URL it is served from), and sign-out through Cognito's /logout with
// client_id and logout_uri. After the callback it calls the API with the ID token (/me) and
// with the access token (/orders) and writes the answers into #me and #orders, each with its
// HTTP status in data-status. <body data-ready="true"> once a page load has done its work.
(function () {
  "use strict";
  const cfg = window.GATEHOUSE_CONFIG;
  const $ = (id) => document.getElementById(id);

  const manager = new oidc.UserManager({
    authority: cfg.metadata.issuer,
    metadata: cfg.metadata,
    client_id: cfg.clientId,
    redirect_uri: cfg.redirectUri,
    post_logout_redirect_uri: cfg.logoutUri,
    response_type: "code",
    scope: cfg.scope,
    loadUserInfo: false,
    automaticSilentRenew: false,
    userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
  });

  function fail(err) {
    $("app-error").textContent = String((err && (err.message || err.error)) || err);
    document.body.dataset.ready = "true";
  }

  async function call(id, path, token) {
    const out = $(id);
    try {
      const response = await fetch(cfg.apiUrl + path, { headers: { Authorization: token } });
      out.textContent = await response.text();
      out.dataset.status = String(response.status);
    } catch (err) {
      out.textContent = "fetch failed: " + err;
      out.dataset.status = "0";
    }
  }

  async function show(user) {
    $("signins").textContent = sessionStorage.getItem("signins") || "0";
    if (!user) {
      $("user").textContent = "";
      return;
    }
    $("user").textContent = user.profile.email || user.profile.sub;
    await Promise.all([call("me", "/me", user.id_token), call("orders", "/orders", user.access_token)]);
  }

  async function main() {
    $("login").addEventListener("click", () => {
      manager.signinRedirect({ nonce: crypto.randomUUID() }).catch(fail);
    });
    $("logout").addEventListener("click", async () => {
      await manager.removeUser();
      const query = new URLSearchParams({ client_id: cfg.clientId, logout_uri: cfg.logoutUri });
      window.location.assign(cfg.metadata.end_session_endpoint + "?" + query);
    });
    let user;
    if (window.location.pathname === "/callback") {
      user = await manager.signinRedirectCallback();
      sessionStorage.setItem("signins", String(Number(sessionStorage.getItem("signins") || "0") + 1));
      window.history.replaceState(null, "", "/");
    } else {
      user = await manager.getUser();
    }
    await show(user);
    document.body.dataset.ready = "true";
  }

  main().catch(fail);
})();
