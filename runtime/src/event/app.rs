//! The application's life cycle on a portal, typed: the `ONAPPINSTALL` delivery that brings
//! the application token, the POST that opens the application (install page, main page,
//! placements), and `ONAPPUNINSTALL`.
//!
//! The flow of a Bitrix24 application:
//!
//! 1. **Install**: the portal opens the install page with an [`AppRequest`]
//!    (`PLACEMENT=DEFAULT`, the user's OAuth tokens in `AUTH_ID`/`REFRESH_ID`); the
//!    application may call methods with [`AppRequest::oauth_config`] (bind events,
//!    placements) and answers with a page that calls `BX24.installFinish()`.
//! 2. The portal then POSTs [`ONAPPINSTALL`](AppInstall) to the install event handler:
//!    [`parse_install`] reads it. It carries the **application token** that authenticates
//!    every later event and placement: store it with the portal's `member_id`.
//! 3. **Calls**: with the tokens (a [`Client`](crate::Client) from
//!    [`AppRequest::oauth_config`] or [`Installation::oauth_config`]; renewed tokens reach
//!    the [`TokenStore`](crate::TokenStore) with their [`Portal`](struct@crate::Portal)).
//! 4. **Placements**: the portal opens a placement with an [`AppRequest`]; check its
//!    `APPLICATION_TOKEN` with [`AppRequest::verify`], read
//!    [`AppRequest::placement_options`].
//! 5. **Uninstall**: [`ONAPPUNINSTALL`](AppUninstall) is an ordinary event (checked with the
//!    stored token by [`parse`](super::parse)); forget the portal's tokens, and its data when
//!    `CLEAN` is set.
//!
//! Docs: `api-reference/common/events/on-app-install.md`, `on-app-uninstall.md`,
//! `api-reference/widgets/_includes/widget_data.md`.

use std::fmt;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::error::quote;
use super::{
    Delivery, Event, EventError, parse_checked, parse_form, take_int, take_secret, take_text,
    tokens_match,
};
use crate::event::AuthFailure;
use crate::wire::{self, Decode};
use crate::{OAuthApp, OAuthConfig, Portal, Tokens};

/// `ONAPPINSTALL`: the application was installed on a portal. Read it with
/// [`parse_install`] (there is no stored token to check it against yet).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct AppInstall;

impl Event for AppInstall {
    const NAME: &'static str = "ONAPPINSTALL";
    type Data = AppInstallData;
}

/// `data` of [`ONAPPINSTALL`](AppInstall).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct AppInstallData {
    /// `VERSION`: the installed version of the application (`1`, `1.0.0`).
    #[serde(rename = "VERSION", default)]
    pub version: Option<String>,
    /// `ACTIVE`: whether the application is active (`Y`/`N`).
    #[serde(rename = "ACTIVE", default, deserialize_with = "wire::decode")]
    pub active: Option<bool>,
    /// `INSTALLED`: whether the installation is finished (`Y`/`N`).
    #[serde(rename = "INSTALLED", default, deserialize_with = "wire::decode")]
    pub installed: Option<bool>,
    /// `LANGUAGE_ID`: the portal's language (`en`, `de`, ...).
    #[serde(rename = "LANGUAGE_ID", default)]
    pub language_id: Option<String>,
    /// Keys the docs do not list, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Decode for AppInstallData {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <Self as Deserialize>::deserialize(d)
    }
}

/// `ONAPPUNINSTALL`: the application was removed from a portal. An ordinary event: read it
/// with [`parse`](super::parse)`::<AppUninstall>` and the portal's stored application
/// token. No OAuth tokens come with it (they are no longer valid).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct AppUninstall;

impl Event for AppUninstall {
    const NAME: &'static str = "ONAPPUNINSTALL";
    type Data = AppUninstallData;
}

/// `data` of [`ONAPPUNINSTALL`](AppUninstall).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct AppUninstallData {
    /// `CLEAN`: the user chose to delete the application's data (`1`/`0`).
    #[serde(rename = "CLEAN", default, deserialize_with = "wire::decode")]
    pub clean: Option<bool>,
    /// `LANGUAGE_ID`: the portal's language.
    #[serde(rename = "LANGUAGE_ID", default)]
    pub language_id: Option<String>,
    /// Keys the docs do not list, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Decode for AppUninstallData {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <Self as Deserialize>::deserialize(d)
    }
}

/// An `ONAPPINSTALL` delivery, read: what to store for the portal.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Installation {
    /// The delivery (`auth` holds the application token, the portal and its tokens).
    pub delivery: Delivery<AppInstallData>,
}

impl Installation {
    /// The portal the application was installed on.
    pub fn portal(&self) -> Portal {
        Portal::new(
            self.delivery.auth.domain.clone(),
            Some(self.delivery.auth.member_id.clone()),
        )
    }

    /// The application token: store it with [`Installation::portal`]; every later event
    /// and placement of this portal must carry it.
    pub fn application_token(&self) -> &SecretString {
        self.delivery.auth.application_token()
    }

    /// The installing user's tokens, when the delivery has both.
    pub fn tokens(&self) -> Option<Tokens> {
        let auth = &self.delivery.auth;
        let tokens = Tokens::new(auth.access_token()?.clone(), auth.refresh_token()?.clone());
        Some(tokens)
    }

    /// A configuration for a [`Client`](crate::Client) acting with the delivered tokens on
    /// the portal's `client_endpoint` (`member_id` set); `None` without tokens.
    pub fn oauth_config(&self, app: OAuthApp) -> Option<OAuthConfig> {
        let config = OAuthConfig::new(
            self.delivery.auth.client_endpoint.clone(),
            app,
            self.tokens()?,
        );
        Some(config.member_id(self.delivery.auth.member_id.clone()))
    }
}

/// Parses an `ONAPPINSTALL` delivery. It is the delivery that brings the application
/// token, so there is nothing to compare it with: it must carry one
/// (`auth[application_token]`), which is returned for the application to store.
///
/// Anyone can POST a forged install: accept it only for a portal that has no stored token
/// yet (a reinstall comes after `ONAPPUNINSTALL`), or confirm it first with a call using
/// its tokens ([`Installation::oauth_config`], e.g. `app.info`), which only the real portal
/// accepts.
///
/// # Errors
/// As [`parse`](super::parse), except that the token is only required, not compared:
/// [`EventError::TooLarge`], [`EventError::Malformed`], [`EventError::MissingField`],
/// [`EventError::UnexpectedEvent`] (another event), [`EventError::Unauthenticated`] (no
/// application token), [`EventError::InvalidField`], [`EventError::Data`].
pub fn parse_install(body: &[u8]) -> Result<Installation, EventError> {
    let delivery = parse_checked(body, None, Some(AppInstall::NAME))?.decode_data()?;
    Ok(Installation { delivery })
}

/// The POST with which a portal opens the application: the install page, the main page
/// (`PLACEMENT=DEFAULT`) or a placement (widget). `DOMAIN`, `PROTOCOL`, `LANG` and
/// `APP_SID` come in the URL's query string, the rest in the form body.
///
/// `Debug` shows no token.
#[derive(Clone)]
#[non_exhaustive]
pub struct AppRequest {
    /// `DOMAIN`: the portal's address, e.g. `example.bitrix24.com`. Required.
    pub domain: String,
    /// `PROTOCOL`: `true` for HTTPS (`1`), `false` for HTTP (`0`); `true` when absent.
    pub https: bool,
    /// `LANG`: the user's interface language.
    pub lang: Option<String>,
    /// `APP_SID`: the application session of this page (for the JS library).
    pub app_sid: Option<String>,
    /// `member_id`: the portal's permanent identifier. Required.
    pub member_id: String,
    /// `status`: the application's status (`L`, `F`, `D`, `T`, `P`).
    pub status: Option<String>,
    /// `PLACEMENT`: where the application was opened: `DEFAULT` (install page, main page)
    /// or a placement code (`CRM_DEAL_DETAIL_TAB`, ...). `DEFAULT` when absent.
    pub placement: String,
    /// `PLACEMENT_OPTIONS`: the placement's context, parsed from its JSON text (`{}` when
    /// absent or empty), e.g. `{"ID": "42"}` for a CRM detail tab.
    pub placement_options: Value,
    /// `APPLICATION_SCOPE`: granted scopes.
    pub scope: Option<String>,
    /// `SERVER_ENDPOINT`: the OAuth server that renews the tokens.
    pub server_endpoint: Option<String>,
    /// `AUTH_EXPIRES`: seconds until `AUTH_ID` expires.
    pub expires_in: Option<i64>,
    access_token: Option<SecretString>,
    refresh_token: Option<SecretString>,
    application_token: Option<SecretString>,
}

impl AppRequest {
    /// Parses the request: `query` is the URL's query string (without `?`), `body` the
    /// form body; both are forms (see [`parse_form`]), a key may come in either.
    ///
    /// # Errors
    /// [`EventError::TooLarge`] / [`EventError::Malformed`] for a bad form;
    /// [`EventError::MissingField`] without `DOMAIN` or `member_id`;
    /// [`EventError::InvalidField`] for a key that is not text, a non-integer
    /// `AUTH_EXPIRES`, or `PLACEMENT_OPTIONS` that is not JSON.
    pub fn parse(query: &[u8], body: &[u8]) -> Result<AppRequest, EventError> {
        let mut form = match parse_form(body)? {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if let Value::Object(query) = parse_form(query)? {
            for (k, v) in query {
                form.entry(k).or_insert(v);
            }
        }
        let f = &mut form;
        let domain = take_text(f, "DOMAIN", "DOMAIN")?
            .filter(|s| !s.is_empty())
            .ok_or(EventError::MissingField { field: "DOMAIN" })?;
        let member_id = take_text(f, "member_id", "member_id")?
            .filter(|s| !s.is_empty())
            .ok_or(EventError::MissingField { field: "member_id" })?;
        let placement_options = match take_text(f, "PLACEMENT_OPTIONS", "PLACEMENT_OPTIONS")? {
            None => Value::Object(Map::new()),
            Some(s) if s.trim().is_empty() => Value::Object(Map::new()),
            Some(s) => serde_json::from_str(&s).map_err(|e| EventError::InvalidField {
                field: "PLACEMENT_OPTIONS",
                reason: format!("not JSON ({e}): {}", quote(&s)),
            })?,
        };
        let text = |f: &mut Map<String, Value>, key: &'static str| {
            Ok::<_, EventError>(take_text(f, key, key)?.filter(|s| !s.is_empty()))
        };
        Ok(AppRequest {
            domain,
            https: text(f, "PROTOCOL")?.is_none_or(|p| p != "0"),
            lang: text(f, "LANG")?,
            app_sid: text(f, "APP_SID")?,
            member_id,
            status: text(f, "status")?,
            placement: text(f, "PLACEMENT")?.unwrap_or_else(|| "DEFAULT".to_owned()),
            placement_options,
            scope: text(f, "APPLICATION_SCOPE")?,
            server_endpoint: text(f, "SERVER_ENDPOINT")?,
            expires_in: take_int(f, "AUTH_EXPIRES", "AUTH_EXPIRES")?,
            access_token: take_secret(f, "AUTH_ID", "AUTH_ID")?,
            refresh_token: take_secret(f, "REFRESH_ID", "REFRESH_ID")?,
            application_token: take_secret(f, "APPLICATION_TOKEN", "APPLICATION_TOKEN")?,
        })
    }

    /// Checks `APPLICATION_TOKEN` against the token stored from `ONAPPINSTALL`, in
    /// constant time. The install page itself comes before that event, so it has no
    /// token to check: use this for placements and the main page.
    ///
    /// # Errors
    /// [`EventError::Unauthenticated`]: no `APPLICATION_TOKEN`
    /// ([`AuthFailure::Missing`]) or another one ([`AuthFailure::Mismatch`]).
    pub fn verify(&self, expected_application_token: &SecretString) -> Result<(), EventError> {
        match &self.application_token {
            None => Err(EventError::Unauthenticated(AuthFailure::Missing)),
            Some(t) if tokens_match(t, expected_application_token) => Ok(()),
            Some(_) => Err(EventError::Unauthenticated(AuthFailure::Mismatch)),
        }
    }

    /// True when opened as the install page or main page (`PLACEMENT=DEFAULT`).
    pub fn is_default(&self) -> bool {
        self.placement == "DEFAULT"
    }

    /// The portal that opened the application.
    pub fn portal(&self) -> Portal {
        Portal::new(self.domain.clone(), Some(self.member_id.clone()))
    }

    /// The portal's REST address, `https://<DOMAIN>/rest/` (`http://` when `PROTOCOL=0`).
    pub fn client_endpoint(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}/rest/", self.domain)
    }

    /// `AUTH_ID`: the user's OAuth access token, when sent.
    pub fn access_token(&self) -> Option<&SecretString> {
        self.access_token.as_ref()
    }

    /// `REFRESH_ID`: the user's OAuth refresh token, when sent.
    pub fn refresh_token(&self) -> Option<&SecretString> {
        self.refresh_token.as_ref()
    }

    /// `APPLICATION_TOKEN`, when sent.
    pub fn application_token(&self) -> Option<&SecretString> {
        self.application_token.as_ref()
    }

    /// The user's tokens (`AUTH_ID`, `REFRESH_ID`), when both were sent.
    pub fn tokens(&self) -> Option<Tokens> {
        Some(Tokens::new(
            self.access_token.clone()?,
            self.refresh_token.clone()?,
        ))
    }

    /// A configuration for a [`Client`](crate::Client) acting as the user who opened the
    /// page, on [`AppRequest::client_endpoint`] with `member_id` set; `None` without
    /// tokens.
    pub fn oauth_config(&self, app: OAuthApp) -> Option<OAuthConfig> {
        let config = OAuthConfig::new(self.client_endpoint(), app, self.tokens()?);
        Some(config.member_id(self.member_id.clone()))
    }
}

impl fmt::Debug for AppRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<SecretString>| s.as_ref().map(|_| "[REDACTED]");
        f.debug_struct("AppRequest")
            .field("domain", &self.domain)
            .field("https", &self.https)
            .field("lang", &self.lang)
            .field("app_sid", &self.app_sid)
            .field("member_id", &self.member_id)
            .field("status", &self.status)
            .field("placement", &self.placement)
            .field("placement_options", &self.placement_options)
            .field("scope", &self.scope)
            .field("server_endpoint", &self.server_endpoint)
            .field("expires_in", &self.expires_in)
            .field("access_token", &redacted(&self.access_token))
            .field("refresh_token", &redacted(&self.refresh_token))
            .field("application_token", &redacted(&self.application_token))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    const AUTH: &str = "auth[domain]=p.bitrix24.com&auth[client_endpoint]=https://p.bitrix24.com/rest/\
        &auth[server_endpoint]=https://oauth.bitrix.info/rest/&auth[member_id]=m-1";

    #[test]
    fn the_install_event_needs_a_token_but_no_stored_one() {
        let body = format!(
            "event=ONAPPINSTALL&data[VERSION]=3&data[INSTALLED]=N&ts=1&{AUTH}&auth[application_token]=t"
        );
        let install = parse_install(body.as_bytes()).unwrap();
        assert_eq!(install.application_token().expose_secret(), "t");
        assert_eq!(install.delivery.data.version.as_deref(), Some("3"));
        assert_eq!(install.delivery.data.installed, Some(false));
        assert!(install.tokens().is_none(), "no access/refresh token sent");
        let without = format!("event=ONAPPINSTALL&ts=1&{AUTH}");
        assert!(matches!(
            parse_install(without.as_bytes()),
            Err(EventError::Unauthenticated(AuthFailure::Missing))
        ));
        let other = format!("event=ONCRMDEALADD&ts=1&{AUTH}&auth[application_token]=t");
        assert!(matches!(
            parse_install(other.as_bytes()),
            Err(EventError::UnexpectedEvent { .. })
        ));
    }

    #[test]
    fn an_app_request_reads_query_and_body_and_hides_tokens() {
        let r = AppRequest::parse(
            b"DOMAIN=p.bitrix24.com&PROTOCOL=0&LANG=de",
            b"AUTH_ID=secret-a&REFRESH_ID=secret-r&AUTH_EXPIRES=3600&member_id=m-1&APPLICATION_TOKEN=t",
        )
        .unwrap();
        assert_eq!(r.client_endpoint(), "http://p.bitrix24.com/rest/");
        assert!(r.is_default(), "no PLACEMENT is DEFAULT");
        assert_eq!(r.placement_options, Value::Object(Map::new()));
        assert_eq!((r.expires_in, r.lang.as_deref()), (Some(3600), Some("de")));
        r.verify(&SecretString::from("t")).unwrap();
        assert!(matches!(
            r.verify(&SecretString::from("u")),
            Err(EventError::Unauthenticated(AuthFailure::Mismatch))
        ));
        let shown = format!("{r:?}");
        assert!(!shown.contains("secret-"), "{shown}");
    }

    #[test]
    fn an_app_request_names_what_is_wrong() {
        let e = AppRequest::parse(b"", b"member_id=m").unwrap_err();
        assert!(
            matches!(e, EventError::MissingField { field: "DOMAIN" }),
            "{e}"
        );
        let e = AppRequest::parse(b"DOMAIN=d", b"member_id=m&PLACEMENT_OPTIONS=%7Bx").unwrap_err();
        assert!(e.to_string().contains("PLACEMENT_OPTIONS"), "{e}");
    }
}
