//! [`Portal`]: which Bitrix24 account a token pair belongs to.

/// The Bitrix24 account (portal) a token pair belongs to, as a [`TokenStore`](crate::TokenStore)
/// is told on each save: an application installed on several portals keeps one pair per
/// portal, keyed by `member_id` (permanent) or `domain` (can be renamed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Portal {
    /// The portal's address without scheme, e.g. `example.bitrix24.com` (from the client
    /// endpoint; a loopback test portal keeps its port: `127.0.0.1:4000`).
    pub domain: String,
    /// The portal's permanent identifier (`member_id`), when known: from
    /// [`OAuthConfig::member_id`](crate::OAuthConfig::member_id), or from the
    /// authorization server's answer to a renewal (which carries it).
    pub member_id: Option<String>,
}

impl Portal {
    /// A portal by its address (`example.bitrix24.com`) and, when known, `member_id`.
    pub fn new(domain: impl Into<String>, member_id: Option<String>) -> Self {
        Portal {
            domain: domain.into(),
            member_id,
        }
    }

    /// The portal of a client endpoint `https://example.bitrix24.com/rest/` (any scheme,
    /// path ignored).
    pub(crate) fn from_endpoint(endpoint: &str, member_id: Option<String>) -> Self {
        let rest = endpoint
            .split_once("://")
            .map_or(endpoint, |(_, rest)| rest);
        let domain = rest.split('/').next().unwrap_or_default();
        Portal::new(domain, member_id)
    }
}
