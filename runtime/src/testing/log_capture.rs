//! [`LogCapture`]: every `tracing` span and event of the process as text lines, for tests
//! that check what the client logs (and that no secret is ever in it).

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A `tracing` subscriber that keeps every span, field record and event as one text line:
/// `span bitrix24.call method=crm.deal.list`, `DEBUG bitrix24_runtime::client message=...`.
///
/// Get it with [`LogCapture::global`]: it is installed as the process-wide subscriber.
/// A thread-local one (`tracing::subscriber::set_default`) races with other test threads
/// over tracing's per-callsite interest cache and misses spans now and then.
#[derive(Debug, Clone, Default)]
pub struct LogCapture {
    lines: Arc<Mutex<Vec<String>>>,
    next_span: Arc<AtomicU64>,
}

impl LogCapture {
    /// The process-wide capture, installed as the global `tracing` subscriber on first use.
    ///
    /// # Panics
    /// When another global subscriber was installed before (a test-setup error); use
    /// [`LogCapture::try_global`] in a process that may have one.
    #[allow(clippy::expect_used)]
    pub fn global() -> LogCapture {
        LogCapture::try_global().expect("no other global tracing subscriber in this process")
    }

    /// The process-wide capture, installed as the global `tracing` subscriber on first use.
    ///
    /// # Errors
    /// [`tracing::subscriber::SetGlobalDefaultError`] when another global subscriber was
    /// installed before (an application's own logging): nothing can be captured then.
    pub fn try_global() -> Result<LogCapture, tracing::subscriber::SetGlobalDefaultError> {
        static CAPTURE: Mutex<Option<LogCapture>> = Mutex::new(None);
        let mut slot = CAPTURE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(capture) = slot.as_ref() {
            return Ok(capture.clone());
        }
        let capture = LogCapture::default();
        tracing::subscriber::set_global_default(capture.clone())?;
        *slot = Some(capture.clone());
        Ok(capture)
    }

    /// Every line captured so far (from all threads), in order.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn push(&self, line: String) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(line);
        }
    }
}

/// Appends ` name=value` for each field.
struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl tracing::Subscriber for LogCapture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut f = Fields(format!("span {}", span.metadata().name()));
        span.record(&mut f);
        self.push(f.0);
        tracing::span::Id::from_u64(self.next_span.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut f = Fields("record".to_owned());
        values.record(&mut f);
        self.push(f.0);
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let meta = event.metadata();
        let mut f = Fields(format!("{} {}", meta.level(), meta.target()));
        event.record(&mut f);
        self.push(f.0);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
