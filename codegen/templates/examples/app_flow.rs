//! A Bitrix24 application from install to uninstall: the install page, `ONAPPINSTALL`
//! (the application token), REST calls with renewed tokens saved per portal, a placement
//! opened in a CRM deal, and `ONAPPUNINSTALL`.
//!
//! Run with `cargo run -p bitrix24 --example app_flow --features testing`.
//!
//! `App::handle` is the application's HTTP handler: route your web framework's POSTs to it
//! (path, query string, form body). Here the fake portal plays the portal and the OAuth
//! server, and `main` sends the POSTs a portal sends, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bitrix24::events::{self, AppRequest, AppUninstall, EventError, SecretString};
use bitrix24::testing::FakePortal;
use bitrix24::{BoxError, Client, OAuthApp, Portal, TokenStore, Tokens};
use serde::Deserialize;
use serde_json::json;

/// What the application keeps per portal (`member_id`): the application token from
/// `ONAPPINSTALL` and the latest tokens. A database in production.
#[derive(Default)]
struct Portals {
    by_member: Mutex<HashMap<String, Installed>>,
}

#[derive(Default, Clone)]
struct Installed {
    application_token: Option<SecretString>,
    tokens: Option<Tokens>,
}

impl Portals {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Installed>) -> R) -> R {
        f(&mut self.by_member.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The client saves renewed tokens here, told which portal they belong to.
impl TokenStore for Portals {
    fn save(&self, portal: &Portal, tokens: &Tokens) -> Result<(), BoxError> {
        let member = portal.member_id.clone().ok_or("tokens of an unknown portal")?;
        self.with(|m| m.entry(member).or_default().tokens = Some(tokens.clone()));
        Ok(())
    }
}

/// A deal, decoded into the application's own type (the portal sends numbers as text).
#[derive(Debug, Deserialize)]
struct Deal {
    #[serde(rename = "ID")]
    id: i64,
    #[serde(rename = "TITLE")]
    title: String,
    #[serde(rename = "OPPORTUNITY")]
    amount: f64,
}

struct App {
    oauth: OAuthApp,
    portals: Arc<Portals>,
}

impl App {
    /// The HTTP handler: `(status, body)` for a POST to `path`.
    async fn handle(&self, path: &str, query: &str, body: &[u8]) -> (u16, String) {
        let answer = match path {
            "/install" => self.install_page(query, body).await,
            "/events" => self.event(body),
            "/placement" => self.placement(query, body).await,
            _ => return (404, "not found".into()),
        };
        match answer {
            Ok(page) => (200, page),
            // Bitrix24 never retries: log before answering.
            Err(e) => {
                eprintln!("rejected {path}: {e}");
                (403, e.to_string())
            }
        }
    }

    /// The install page: bind the placement with the installing user's tokens, then let
    /// the portal finish the installation (`BX24.installFinish()`).
    async fn install_page(&self, query: &str, body: &[u8]) -> Result<String, BoxError> {
        let request = AppRequest::parse(query.as_bytes(), body)?;
        let config = request
            .oauth_config(self.oauth.clone())
            .ok_or("install page without tokens")?
            .store(self.portals.clone());
        let client = Client::oauth_builder(config).allow_insecure_loopback().build()?;
        let bound = client
            .call_raw(
                "placement.bind",
                json!({"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": "https://app.example/placement", "TITLE": "Our tab"}),
            )
            .await?;
        println!("install page on {}: placement bound = {}", request.domain, bound.result);
        Ok("<script src=\"//api.bitrix24.com/api/v1/\"></script><script>BX24.init(function(){BX24.installFinish();});</script>".into())
    }

    /// The event handler: `ONAPPINSTALL` brings the application token; every other event
    /// is checked against it.
    fn event(&self, body: &[u8]) -> Result<String, BoxError> {
        let form = events::parse_form(body)?;
        let event = form["event"].as_str().unwrap_or_default();
        if event.eq_ignore_ascii_case("ONAPPINSTALL") {
            let install = events::parse_install(body)?;
            let portal = install.portal();
            let member = portal.member_id.clone().ok_or("no member_id")?;
            // A forged install must not replace a known portal's token.
            if self.portals.with(|m| m.get(&member).is_some_and(|i| i.application_token.is_some())) {
                return Err("ONAPPINSTALL for a portal that is installed".into());
            }
            self.portals.with(|m| {
                let entry = m.entry(member.clone()).or_default();
                entry.application_token = Some(install.application_token().clone());
                entry.tokens = install.tokens();
            });
            println!("ONAPPINSTALL from {} ({member}): application token stored", portal.domain);
            return Ok("ok".into());
        }
        let member = form["auth"]["member_id"].as_str().unwrap_or_default().to_owned();
        let token = self
            .portals
            .with(|m| m.get(&member).and_then(|i| i.application_token.clone()))
            .ok_or("event from a portal that is not installed")?;
        let uninstall = events::parse::<AppUninstall>(body, &token)?;
        self.portals.with(|m| m.remove(&member));
        println!(
            "ONAPPUNINSTALL from {} (clean data: {:?}): portal forgotten",
            uninstall.auth.domain, uninstall.data.clean
        );
        Ok("ok".into())
    }

    /// A placement (the deal's tab): check the application token, read the deal it was
    /// opened for, with the tokens the page brought.
    async fn placement(&self, query: &str, body: &[u8]) -> Result<String, BoxError> {
        let request = AppRequest::parse(query.as_bytes(), body)?;
        let token = self
            .portals
            .with(|m| m.get(&request.member_id).and_then(|i| i.application_token.clone()))
            .ok_or(EventError::MissingField { field: "installation" })?;
        request.verify(&token)?;
        let deal_id = request.placement_options["ID"].as_str().ok_or("no deal ID")?;
        let config = request
            .oauth_config(self.oauth.clone())
            .ok_or("placement without tokens")?
            .store(self.portals.clone());
        let client = Client::oauth_builder(config).allow_insecure_loopback().build()?;
        let deal: Deal = client.call_as("crm.deal.get", json!({"id": deal_id})).await?;
        Ok(format!("<h1>{} ({}): {:.2}</h1>", deal.title, deal.id, deal.amount))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    const MEMBER: &str = "a223c6b3710f85df22e9377d6c4f7553";
    let portal = FakePortal::builder().member_id(MEMBER).start().await?;
    portal.on("placement.bind", |_| Ok(json!(true)));
    portal.on("crm.deal.get", |p| {
        Ok(json!({"ID": p["id"].to_string().trim_matches('"'), "TITLE": "Big deal", "OPPORTUNITY": "3607999.00"}))
    });
    let settings = portal.oauth();
    let app = App {
        oauth: OAuthApp::new(settings.client_id.clone(), settings.client_secret.clone())
            .oauth_server(portal.base_url())
            .allow_insecure_loopback(),
        portals: Arc::new(Portals::default()),
    };
    let domain = settings
        .client_endpoint
        .trim_start_matches("http://")
        .trim_end_matches("/rest/")
        .to_owned();
    let query = format!("DOMAIN={domain}&PROTOCOL=0&LANG=en&APP_SID=abc");
    let user = portal.issue_tokens();
    let application_token = "51856fefc120afa4b628cc82d3935cce";

    // 1. The portal opens the install page.
    let install_page = format!(
        "AUTH_ID={}&AUTH_EXPIRES=3600&REFRESH_ID={}&member_id={MEMBER}&status=L&PLACEMENT=DEFAULT&PLACEMENT_OPTIONS=%7B%7D",
        user.access_token, user.refresh_token
    );
    let (status, page) = app.handle("/install", &query, install_page.as_bytes()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("installFinish"));

    // 2. ONAPPINSTALL brings the application token.
    let install_event = format!(
        "event=ONAPPINSTALL&data[VERSION]=1&data[ACTIVE]=Y&data[INSTALLED]=Y&data[LANGUAGE_ID]=en&ts=1696527000\
         &auth[domain]={domain}&auth[client_endpoint]={}&auth[server_endpoint]={}\
         &auth[member_id]={MEMBER}&auth[application_token]={application_token}\
         &auth[access_token]={}&auth[refresh_token]={}&auth[expires_in]=3600&auth[status]=L",
        settings.client_endpoint,
        portal.oauth_server_url(),
        user.access_token,
        user.refresh_token
    );
    assert_eq!(app.handle("/events", "", install_event.as_bytes()).await.0, 200);
    // A second, forged install is refused.
    assert_eq!(app.handle("/events", "", install_event.as_bytes()).await.0, 403);

    // 3. A user opens the deal tab an hour later: the token has expired, the client renews
    //    it and the store gets the new pair with its portal.
    portal.expire_access_token();
    let placement = format!(
        "AUTH_ID={}&REFRESH_ID={}&member_id={MEMBER}&PLACEMENT=CRM_DEAL_DETAIL_TAB\
         &PLACEMENT_OPTIONS=%7B%22ID%22%3A%2242%22%7D&APPLICATION_TOKEN={application_token}",
        user.access_token, user.refresh_token
    );
    let (status, page) = app.handle("/placement", &query, placement.as_bytes()).await;
    println!("placement: {status} {page}");
    assert_eq!((status, page.as_str()), (200, "<h1>Big deal (42): 3607999.00</h1>"));
    assert_eq!(portal.refresh_count(), 1);
    let renewed = app.portals.with(|m| m.get(MEMBER).and_then(|i| i.tokens.clone()));
    assert!(renewed.is_some(), "the store got the renewed tokens for {MEMBER}");

    // A placement POST with another application token is refused.
    let forged = placement.replace(application_token, "forged");
    assert_eq!(app.handle("/placement", &query, forged.as_bytes()).await.0, 403);

    // 4. ONAPPUNINSTALL, checked with the stored token.
    let uninstall = format!(
        "event=ONAPPUNINSTALL&data[LANGUAGE_ID]=en&data[CLEAN]=1&ts=1466439714\
         &auth[domain]={domain}&auth[client_endpoint]={}&auth[server_endpoint]={}\
         &auth[member_id]={MEMBER}&auth[application_token]={application_token}",
        settings.client_endpoint,
        portal.oauth_server_url()
    );
    assert_eq!(app.handle("/events", "", uninstall.as_bytes()).await.0, 200);
    assert!(app.portals.with(|m| m.is_empty()));
    println!("install -> call -> placement -> uninstall: done");
    Ok(())
}
