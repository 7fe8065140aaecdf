//! A fake Bitrix24 portal for offline tests (Cargo feature `testing`).
//!
//! [`FakePortal::start`] serves HTTP/1 on `127.0.0.1` (a random port) and behaves like a
//! cloud portal as the official docs describe it, so a client (ours or an application's)
//! can be tested end to end without the network:
//!
//! - **Auth**: inbound webhooks at `/rest/<user_id>/<code>/<method>`
//!   ([`FakePortal::webhook_url`]); OAuth calls at `/rest/<method>` with `auth` (an access
//!   token) in the JSON body, the form body or the query; the token endpoint
//!   [`FakePortal::oauth_server_url`] (`/oauth/token/`, `grant_type=refresh_token` or
//!   `authorization_code`). A wrong webhook or token is 401 `NO_AUTH_FOUND`, an expired
//!   token 401 `expired_token` (see [`FakePortal::expire_access_token`]).
//! - **Envelope**: `{"result": ..., "total": .., "next": .., "time": {start, finish,
//!   duration, processing, date_start, date_finish, operating_reset_at, operating}}`;
//!   errors `{"error": CODE, "error_description": ...}` with the documented HTTP status.
//! - **Methods**, looked up in this order (names ignore case and a `.json` suffix):
//!   handlers ([`FakePortal::on`]), list tables ([`FakePortal::table`], see [`Table`]),
//!   documented examples ([`FakePortal::answer_from_examples`]); anything else is 404
//!   `ERROR_METHOD_NOT_FOUND`. Parameters declared with [`FakePortal::require_params`]
//!   are checked first.
//! - **`batch`**: `{"halt": 0|1, "cmd": {"key": "method?php-query"}}` (or `cmd` as a list),
//!   commands run in order, `$result[key][field]` references, `halt`, per-command
//!   `result` / `result_error` / `result_total` / `result_next` / `result_time` written as
//!   PHP writes arrays (keys `"0".."n-1"` become JSON lists, empty maps `[]`); a command
//!   past the 50th ends with `ERROR_BATCH_LENGTH_EXCEEDED`, a nested `batch` with
//!   `ERROR_BATCH_METHOD_NOT_ALLOWED`, both in `result_error` (the docs: "such a subquery
//!   ends with an error"), the batch itself answering 200.
//! - **Limits**: the leaky bucket per portal ([`PortalRateLimit`], burst 50, drain 2/s) → 503
//!   `QUERY_LIMIT_EXCEEDED`; per-method operating time → 429 `OPERATION_TIME_LIMIT` (see
//!   [`FakePortalBuilder::operating_limit`]).
//! - **Faults** ([`Fault`], [`FakePortal::inject`]): 503 storms, HTML pages, truncated
//!   JSON, expired tokens, dropped connections, slow answers.
//! - **Recorded shapes** ([`Quirks`], [`FakePortalBuilder::quirks`]): where real portals
//!   were recorded to differ from the docs (no `operating_reset_at`, operating time on a
//!   batch's first command only, `next` on the last page, the portal's UTC offset, ...),
//!   one switch each or all at once ([`Quirks::recorded_portal`]); the recorded operating
//!   cost of a list page ([`FakePortalBuilder::recorded_operating_costs`]).
//! - **Observability**: [`FakePortal::requests`] (secrets masked), [`FakePortal::call_count`],
//!   [`FakePortal::request_count`], [`FakePortal::refresh_count`].
//!
//! Time comes from `tokio::time`, so under a paused test clock
//! (`#[tokio::test(start_paused = true)]`) the limits are deterministic; Unix times in
//! answers are [`FakePortalBuilder::base_unix_time`] plus the elapsed `tokio` time. (Give
//! the HTTP client no timeout under a paused clock: the clock jumps to the next timer
//! whenever the runtime idles.)
//!
//! ```
//! # use bitrix24_runtime::testing::FakePortal;
//! # use serde_json::{json, Value};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let portal = FakePortal::start().await?;
//! portal.table("crm.deal.list").insert_many((1..=120).map(|i| json!({"TITLE": format!("Deal {i}")})));
//! portal.on("crm.deal.add", |params| Ok(json!(params["fields"]["TITLE"].as_str().map_or(0, |_| 121))));
//!
//! let http = reqwest::Client::new();
//! let reply = http
//!     .post(format!("{}crm.deal.list", portal.webhook_url()))
//!     .header("content-type", "application/json")
//!     .body(r#"{"start": 50}"#)
//!     .send().await?;
//! let page: Value = serde_json::from_slice(&reply.bytes().await?)?;
//! assert_eq!((page["total"].clone(), page["next"].clone()), (json!(120), json!(100)));
//! assert_eq!(page["result"][0]["ID"], "51");
//! assert_eq!(portal.call_count("crm.deal.list"), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod batch;
mod limits;
mod log_capture;
mod query;
mod quirks;
mod server;
mod state;
mod table;
mod time;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use limits::PortalRateLimit;
pub use log_capture::LogCapture;
pub use query::{parse_php_query, to_php_query};
pub use quirks::{Quirks, RECORDED_PAGE_COST};
pub use table::Table;

use state::{Config, Queued, Shared, State};

/// An error a method answers with: HTTP status, `error` code, `error_description`.
///
/// Returned by handlers registered with [`FakePortal::on`]; `(400, "CODE", "text").into()`
/// builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodError {
    /// HTTP status (400, 403, 404, ...); inside a `batch` the command's error is reported
    /// in `result_error` and the batch answers 200.
    pub status: u16,
    /// The `error` code, e.g. `ERROR_ARGUMENT` (may be empty: some methods answer so).
    pub code: String,
    /// The `error_description`.
    pub description: String,
}

impl MethodError {
    /// An error with this status, code and description.
    pub fn new(status: u16, code: impl Into<String>, description: impl Into<String>) -> Self {
        MethodError {
            status,
            code: code.into(),
            description: description.into(),
        }
    }
}

impl From<(u16, &str, &str)> for MethodError {
    fn from((status, code, description): (u16, &str, &str)) -> Self {
        MethodError::new(status, code, description)
    }
}

impl fmt::Display for MethodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.description)
    }
}

impl std::error::Error for MethodError {}

/// A failure injected into the next requests with [`FakePortal::inject`].
///
/// A fault hits a request before anything else (auth, limits, the method): it is what
/// the network or an overloaded portal does to that request, and it does not count
/// against the rate limit or the operating time. API-error faults ([`Fault::QueryLimit`],
/// [`Fault::OperationTimeLimit`], [`Fault::ExpiredToken`], [`Fault::Error`]) injected for
/// a method with [`FakePortal::inject_for`] also hit that method's commands inside a
/// `batch` (reported in `result_error`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// 503 `QUERY_LIMIT_EXCEEDED` "Too many requests" (the call did not run). Inject it
    /// `n` times for a storm.
    QueryLimit,
    /// 429 `OPERATION_TIME_LIMIT` (the call did not run).
    OperationTimeLimit,
    /// Expires every access token issued so far (as
    /// [`FakePortal::expire_access_token`]) and answers 401 `expired_token`.
    ExpiredToken,
    /// Any API error.
    Error(MethodError),
    /// 502 with nginx's HTML page and no error code (the call did not run).
    BadGatewayHtml,
    /// 200 with an HTML page instead of JSON (the call did not run).
    HtmlOk,
    /// The call runs, then its JSON answer is cut in half (status and `Content-Length`
    /// match the cut body, so the client reads a complete but invalid body).
    TruncatedJson,
    /// The socket is closed without an answer (the call did not run; the client cannot
    /// know that).
    DropConnection,
    /// The answer comes after this delay (`tokio::time::sleep`), then the call runs as
    /// usual.
    Slow(Duration),
    /// The call runs, then the socket is closed without an answer: the answer is lost
    /// (a proxy or network failure after the portal did the work).
    LostAnswer,
}

impl Fault {
    /// The API error this fault answers with, for the API-error kinds.
    fn api_error(&self) -> Option<MethodError> {
        match self {
            Fault::QueryLimit => Some(MethodError::new(
                503,
                "QUERY_LIMIT_EXCEEDED",
                "Too many requests",
            )),
            Fault::OperationTimeLimit => Some(MethodError::new(
                429,
                "OPERATION_TIME_LIMIT",
                "Method is blocked due to operation time limit.",
            )),
            Fault::ExpiredToken => Some(MethodError::new(
                401,
                "expired_token",
                "The access token provided has expired.",
            )),
            Fault::Error(e) => Some(e.clone()),
            _ => None,
        }
    }

    fn is_api_error(&self) -> bool {
        self.api_error().is_some()
    }
}

/// How a logged request authenticated (or tried to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthKind {
    /// A webhook path `/rest/<user_id>/<code>/...` (the code is never logged; `user_id`
    /// is 0 when the path's was not a number).
    Webhook {
        /// The user ID in the path.
        user_id: u64,
    },
    /// `/rest/<method>` with an `auth` token.
    OAuth,
    /// The token endpoint `/oauth/token/`.
    TokenEndpoint,
    /// No credentials (`/rest/<method>` without `auth`, or an unknown path).
    None,
}

/// One HTTP request as the portal saw it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The method from the path, lowercased, without `.json`
    /// ([`FakePortal::TOKEN_ENDPOINT`] for the token endpoint, the path for unknown
    /// paths).
    pub method: String,
    /// Query and body parameters merged (body wins), with `auth`, `client_secret`,
    /// `refresh_token`, `code` and `access_token` masked as `"***"`; `null` when the body
    /// did not parse.
    pub params: Value,
    /// How the request authenticated.
    pub auth: AuthKind,
    /// The HTTP status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// The injected fault that hit this request.
    pub fault: Option<Fault>,
    /// The request came to the REST 3.0 address (`/rest/api/...`).
    pub rest_v3: bool,
    /// A REST 3.0 repeat answered from the kept answer of its `Idempotency-Key`: the
    /// method did not run again.
    pub replayed: bool,
}

/// A pair of OAuth tokens issued by the portal.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenPair {
    /// The access token (`auth` of REST calls).
    pub access_token: String,
    /// The refresh token (single use: refreshing replaces it).
    pub refresh_token: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// What an OAuth application needs to talk to the portal: its credentials, the first
/// token pair, and the two endpoints.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthSettings {
    /// The application's `client_id`.
    pub client_id: String,
    /// The application's `client_secret`.
    pub client_secret: String,
    /// The token pair issued at start.
    pub tokens: TokenPair,
    /// `client_endpoint`: `http://127.0.0.1:PORT/rest/`; methods are appended to it.
    pub client_endpoint: String,
    /// The token endpoint, `http://127.0.0.1:PORT/oauth/token/`.
    pub token_url: String,
    /// The portal's `member_id`.
    pub member_id: String,
}

impl fmt::Debug for OAuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("client_id", &self.client_id)
            .field("client_endpoint", &self.client_endpoint)
            .field("token_url", &self.token_url)
            .field("member_id", &self.member_id)
            .finish_non_exhaustive()
    }
}

/// Options of a [`FakePortal`]; start with [`FakePortal::builder`].
#[derive(Clone)]
pub struct FakePortalBuilder {
    user_id: u64,
    webhook_code: String,
    client_id: String,
    client_secret: String,
    member_id: String,
    scope: String,
    rate_limit: PortalRateLimit,
    operating_limit: f64,
    default_cost: f64,
    quirks: Quirks,
    access_lifetime: Duration,
    base_unix: Option<f64>,
}

impl fmt::Debug for FakePortalBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakePortalBuilder")
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .field("rate_limit", &self.rate_limit)
            .field("operating_limit", &self.operating_limit)
            .field("default_cost", &self.default_cost)
            .field("quirks", &self.quirks)
            .field("access_lifetime", &self.access_lifetime)
            .field("base_unix", &self.base_unix)
            .finish_non_exhaustive()
    }
}

impl Default for FakePortalBuilder {
    fn default() -> Self {
        FakePortalBuilder {
            user_id: 1,
            webhook_code: "fakeportalwebhook0code".to_owned(),
            client_id: "local.0000fake0000.00000000".to_owned(),
            client_secret: "fakeportalclientsecret0000000000".to_owned(),
            member_id: "fake0000000000000000000000member".to_owned(),
            scope: "crm,user,bizproc,placement".to_owned(),
            rate_limit: PortalRateLimit::STANDARD,
            operating_limit: 480.0,
            default_cost: 0.01,
            quirks: Quirks::default(),
            access_lifetime: Duration::from_secs(3600),
            base_unix: None,
        }
    }
}

impl FakePortalBuilder {
    /// The webhook's user ID and code (default `1` and `fakeportalwebhook0code`).
    pub fn webhook(mut self, user_id: u64, code: &str) -> Self {
        self.user_id = user_id;
        self.webhook_code = code.to_owned();
        self
    }

    /// The OAuth application's `client_id` and `client_secret`.
    pub fn oauth_client(mut self, client_id: &str, client_secret: &str) -> Self {
        self.client_id = client_id.to_owned();
        self.client_secret = client_secret.to_owned();
        self
    }

    /// The portal's `member_id`.
    pub fn member_id(mut self, member_id: &str) -> Self {
        self.member_id = member_id.to_owned();
        self
    }

    /// The leaky bucket ([`PortalRateLimit::STANDARD`] by default).
    pub fn rate_limit(mut self, limit: PortalRateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// The operating-time budget per method, app or webhook, in seconds over the last
    /// ten minutes (480, the published cloud value). A call is refused with 429
    /// `OPERATION_TIME_LIMIT` when the method's accumulated time already exceeds it
    /// before the call (the call that crosses the limit completes), as `limits.md`
    /// describes. Time is kept in one-minute baskets: a basket opens with the first call
    /// after the previous basket's minute and is released ten minutes after that call;
    /// `time.operating_reset_at` is the release time of the oldest basket. `batch` itself
    /// costs nothing; each command is counted for its own method.
    pub fn operating_limit(mut self, seconds: f64) -> Self {
        self.operating_limit = seconds;
        self
    }

    /// What one call of a method costs in operating time, in seconds, unless set per
    /// method with [`FakePortal::set_operating_cost`] (default 0.01). The cost is also
    /// the call's reported `duration` and `processing`.
    pub fn default_operating_cost(mut self, seconds: f64) -> Self {
        self.default_cost = seconds;
        self
    }

    /// Every method costs [`RECORDED_PAGE_COST`] (1.2 s) of operating time per call, the
    /// largest cost of a 50-row page recorded on real portals; change single methods with
    /// [`FakePortal::set_operating_cost`]. At this cost a method runs 401 calls per
    /// 10-minute window of 480 s (a call runs while the total is at most the budget).
    pub fn recorded_operating_costs(mut self) -> Self {
        self.default_cost = RECORDED_PAGE_COST;
        self
    }

    /// Answers in the shapes recorded from real portals where they differ from the docs
    /// (see [`Quirks`]; default: the documented shapes).
    pub fn quirks(mut self, quirks: Quirks) -> Self {
        self.quirks = quirks;
        self
    }

    /// Lifetime of issued access tokens (one hour, as documented).
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.access_lifetime = lifetime;
        self
    }

    /// The Unix time (seconds) the portal's clock shows at start; by default the system
    /// time at start. Set it for reproducible `time` objects.
    pub fn base_unix_time(mut self, unix: f64) -> Self {
        self.base_unix = Some(unix);
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on the current `tokio` runtime.
    ///
    /// # Errors
    /// When the listener cannot be bound.
    pub async fn start(self) -> std::io::Result<FakePortal> {
        crate::transport::install_default_provider();
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let base_unix = self.base_unix.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64())
        });
        let mut state = State {
            config: Config {
                user_id: self.user_id,
                webhook_code: self.webhook_code,
                client_id: self.client_id,
                client_secret: self.client_secret,
                member_id: self.member_id,
                scope: self.scope,
                access_lifetime: self.access_lifetime,
                refresh_lifetime: Duration::from_secs(180 * 24 * 3600),
            },
            base_url: base_url.clone(),
            clock: time::Clock::new(base_unix),
            bucket: limits::Bucket::new(self.rate_limit),
            operating: limits::Operating::default(),
            operating_limit: self.operating_limit,
            default_cost: self.default_cost,
            costs: HashMap::new(),
            quirks: self.quirks,
            handlers: HashMap::new(),
            tables: HashMap::new(),
            examples: HashMap::new(),
            required: HashMap::new(),
            faults: VecDeque::new(),
            log: Vec::new(),
            calls: BTreeMap::new(),
            requests: 0,
            refreshes: 0,
            refusals: 0,
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            codes: HashMap::new(),
            used_codes: HashSet::new(),
            token_counter: u64::from(addr.port()) << 32,
            replays: HashMap::new(),
        };
        let initial = state.issue_tokens();
        let shared = Arc::new(Shared::new(state));
        let task = tokio::spawn(server::serve(listener, shared.clone()));
        Ok(FakePortal {
            shared,
            addr,
            base_url,
            initial,
            task,
        })
    }
}

/// A running fake portal; the server stops when this is dropped.
///
/// See the [module docs](self) for what it enforces.
pub struct FakePortal {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: String,
    initial: TokenPair,
    task: JoinHandle<()>,
}

impl fmt::Debug for FakePortal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakePortal")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for FakePortal {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakePortal {
    /// The name under which token-endpoint requests are logged and faults are injected
    /// for them ([`FakePortal::inject_for`]).
    pub const TOKEN_ENDPOINT: &'static str = "/oauth/token/";

    /// Starts a portal with the defaults of [`FakePortalBuilder`].
    ///
    /// # Errors
    /// When the listener cannot be bound.
    pub async fn start() -> std::io::Result<FakePortal> {
        FakePortal::builder().start().await
    }

    /// A builder, to change the defaults.
    pub fn builder() -> FakePortalBuilder {
        FakePortalBuilder::default()
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The inbound webhook URL, `http://127.0.0.1:PORT/rest/<user_id>/<code>/`.
    pub fn webhook_url(&self) -> String {
        let s = self.shared.lock();
        format!(
            "{}/rest/{}/{}/",
            self.base_url, s.config.user_id, s.config.webhook_code
        )
    }

    /// The OAuth REST endpoint (`client_endpoint`), `http://127.0.0.1:PORT/rest/`.
    pub fn client_endpoint(&self) -> String {
        format!("{}/rest/", self.base_url)
    }

    /// The token endpoint, `http://127.0.0.1:PORT/oauth/token/` (GET with a query, or
    /// POST with a form or JSON body).
    ///
    /// `grant_type=refresh_token` needs `client_id`, `client_secret` and a live refresh
    /// token (single use: each refresh revokes it, so two concurrent refreshes with the
    /// same token fail the second with `invalid_grant`); `authorization_code` needs a
    /// `code` from [`FakePortal::issue_authorization_code`] (30 s, single use). The answer
    /// has the documented fields (`access_token`, `refresh_token`, `expires`,
    /// `expires_in`, `domain`, `member_id`, `client_endpoint`, `server_endpoint`,
    /// `scope`, `status`, `user_id`). Errors: 400 `invalid_request` (bad `grant_type`),
    /// 401 `invalid_client`, 400 `invalid_grant` (the docs give the codes, not the
    /// statuses; these follow RFC 6749). The token endpoint is not rate limited.
    pub fn oauth_server_url(&self) -> String {
        format!("{}{}", self.base_url, Self::TOKEN_ENDPOINT)
    }

    /// The OAuth application's settings with the token pair issued at start.
    pub fn oauth(&self) -> OAuthSettings {
        let s = self.shared.lock();
        OAuthSettings {
            client_id: s.config.client_id.clone(),
            client_secret: s.config.client_secret.clone(),
            tokens: self.initial.clone(),
            client_endpoint: self.client_endpoint(),
            token_url: self.oauth_server_url(),
            member_id: s.config.member_id.clone(),
        }
    }

    /// Issues another valid token pair (as if the app had been authorized again).
    pub fn issue_tokens(&self) -> TokenPair {
        self.shared.lock().issue_tokens()
    }

    /// Issues an authorization `code` for `grant_type=authorization_code` (valid 30 s,
    /// single use).
    pub fn issue_authorization_code(&self) -> String {
        self.shared.lock().issue_code()
    }

    /// Expires every access token issued so far: the next OAuth call with any of them
    /// answers 401 `expired_token`. Refresh tokens stay valid.
    pub fn expire_access_token(&self) {
        self.shared.lock().expire_access_tokens();
    }

    /// Revokes every refresh token: refreshing answers 400 `invalid_grant`.
    pub fn revoke_refresh_tokens(&self) {
        self.shared.lock().refresh_tokens.clear();
    }

    /// Answers `method` with `handler(params)` (params: query and body merged, without
    /// `auth`; inside a `batch`, decoded from the command's query string, so every value
    /// is a string). A handler replaces an earlier one, and wins over tables and examples.
    ///
    /// The handler runs without the portal's lock held: it may use [`Table`] handles and
    /// call the portal's methods.
    ///
    /// `v3.<name>` answers only the REST 3.0 method `<name>` (called at `/rest/api/`); a
    /// plain name answers both it and the classic method, unless a `v3.` one is set. The
    /// same holds for [`FakePortal::answer_from_examples`] and
    /// [`FakePortal::require_params_with_error`].
    pub fn on<F>(&self, method: &str, handler: F) -> &Self
    where
        F: Fn(&Value) -> Result<Value, MethodError> + Send + Sync + 'static,
    {
        self.shared
            .lock()
            .handlers
            .insert(server::normalize_method(method), Arc::new(handler));
        self
    }

    /// The table behind the list method `method`, created empty on first use (see
    /// [`Table`] for paging, `filter`, `order` and `select`).
    pub fn table(&self, method: &str) -> Table {
        self.shared
            .lock()
            .tables
            .entry(server::normalize_method(method))
            .or_default()
            .clone()
    }

    /// Answers each method with its documented response example: `(method, example)`
    /// where `example` is the whole documented body (`{"result": ..., "time": ...}`; its
    /// `result`, `total` and `next` are answered, `time` is the portal's own) or a bare
    /// result. The first example of a method wins. Handlers and tables take precedence.
    pub fn answer_from_examples<I, S>(&self, examples: I) -> &Self
    where
        I: IntoIterator<Item = (S, Value)>,
        S: AsRef<str>,
    {
        let mut s = self.shared.lock();
        for (method, example) in examples {
            s.examples
                .entry(server::normalize_method(method.as_ref()))
                .or_insert(example);
        }
        self
    }

    /// Refuses calls of `method` that lack any of `names` (ignoring case; `null` and `""`
    /// count as missing) with 400 `ERROR_ARGUMENT` `"<NAME> is not found, ..."`, the error
    /// the docs give for a missing required parameter of the `crm.calllist.*` methods
    /// (and the code Bitrix24 uses for its `ArgumentException`). Use
    /// [`FakePortal::require_params_with_error`] for a method that documents another.
    pub fn require_params(&self, method: &str, names: &[&str]) -> &Self {
        self.require_params_with_error(method, names, MethodError::new(400, "ERROR_ARGUMENT", ""))
    }

    /// As [`FakePortal::require_params`], answering `error` instead (an empty
    /// description is replaced by `"<NAME> is not found, ..."`).
    pub fn require_params_with_error(
        &self,
        method: &str,
        names: &[&str],
        error: MethodError,
    ) -> &Self {
        self.shared.lock().required.insert(
            server::normalize_method(method),
            (names.iter().map(|n| (*n).to_owned()).collect(), error),
        );
        self
    }

    /// Sets what one call of `method` costs in operating time, in seconds.
    pub fn set_operating_cost(&self, method: &str, seconds: f64) -> &Self {
        self.shared
            .lock()
            .costs
            .insert(server::normalize_method(method), seconds);
        self
    }

    /// Replaces the rate limit (the bucket starts empty).
    pub fn set_rate_limit(&self, limit: PortalRateLimit) -> &Self {
        self.shared.lock().set_rate_limit(limit);
        self
    }

    /// The leaky bucket's counter now (requests not yet drained).
    pub fn rate_limit_level(&self) -> f64 {
        let s = self.shared.lock();
        s.bucket.level(s.clock.now())
    }

    /// The accumulated operating time of `method` over the last ten minutes, summed over
    /// the webhook and the app.
    pub fn operating_time(&self, method: &str) -> f64 {
        let mut s = self.shared.lock();
        let now = s.clock.now();
        let method = server::normalize_method(method);
        let whos = [
            format!("webhook:{}", s.config.user_id),
            format!("app:{}", s.config.client_id),
        ];
        whos.iter()
            .map(|who| s.operating.total(who, &method, now))
            .sum()
    }

    /// Queues `fault` for the next `times` REST requests (any method; not the token
    /// endpoint). Faults apply in the order queued, one per request.
    pub fn inject(&self, fault: Fault, times: usize) -> &Self {
        self.queue(None, fault, times)
    }

    /// Queues `fault` for the next `times` requests of `method` only
    /// ([`FakePortal::TOKEN_ENDPOINT`] for the token endpoint; API-error faults also hit
    /// `batch` commands of `method`).
    pub fn inject_for(&self, method: &str, fault: Fault, times: usize) -> &Self {
        let method = if method == Self::TOKEN_ENDPOINT {
            method.to_owned()
        } else {
            server::normalize_method(method)
        };
        self.queue(Some(method), fault, times)
    }

    fn queue(&self, method: Option<String>, fault: Fault, times: usize) -> &Self {
        if times > 0 {
            self.shared.lock().faults.push_back(Queued {
                fault,
                method,
                remaining: times,
            });
        }
        self
    }

    /// Faults still queued (the sum of their remaining counts).
    pub fn pending_faults(&self) -> usize {
        self.shared.lock().faults.iter().map(|q| q.remaining).sum()
    }

    /// Every HTTP request so far, in order of completion.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().log.clone()
    }

    /// HTTP requests to `/rest/` so far (whatever their outcome; not the token endpoint).
    pub fn request_count(&self) -> usize {
        self.shared.lock().requests
    }

    /// Calls of `method` that reached the method layer (HTTP requests past auth and the
    /// rate limit, and `batch` commands), whatever their outcome.
    pub fn call_count(&self, method: &str) -> usize {
        let method = server::normalize_method(method);
        self.shared.lock().calls.get(&method).copied().unwrap_or(0)
    }

    /// [`FakePortal::call_count`] for every method called.
    pub fn call_counts(&self) -> BTreeMap<String, usize> {
        self.shared.lock().calls.clone()
    }

    /// Calls refused with 429 `OPERATION_TIME_LIMIT` because their method's operating
    /// time was over the budget (HTTP requests and `batch` commands; not injected
    /// [`Fault::OperationTimeLimit`]s).
    pub fn operating_limit_refusals(&self) -> usize {
        self.shared.lock().refusals
    }

    /// Successful `grant_type=refresh_token` exchanges so far.
    pub fn refresh_count(&self) -> usize {
        self.shared.lock().refreshes
    }

    /// Empties the request log and the counters (not the limits).
    pub fn clear_log(&self) {
        let mut s = self.shared.lock();
        s.log.clear();
        s.calls.clear();
        s.requests = 0;
        s.refreshes = 0;
        s.refusals = 0;
    }
}
