//! How calls are authenticated: an inbound webhook code in the URL, or an OAuth 2.0 access
//! token in the body (renewed once on `expired_token`, shared by concurrent callers).

mod oauth;
mod portal;
mod url;

pub use oauth::{
    DEFAULT_OAUTH_SERVER, MemoryTokenStore, OAuthApp, OAuthConfig, OAuthError, TokenGrant,
    TokenStore, Tokens, authorization_url,
};
pub(crate) use oauth::{OAuthSession, TokenView};
pub use portal::Portal;
pub(crate) use url::{check_base_url, parse_client_endpoint, parse_webhook};
