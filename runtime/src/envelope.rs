//! The JSON envelope around every successful answer.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::wire::Decode;

/// A successful answer: `{"result": ..., "total": 120, "next": 50, "time": {...}}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Response<T> {
    /// The method's result.
    pub result: T,
    /// For list methods: the number of matching rows (absent when the list was asked with
    /// `start=-1`).
    pub total: Option<u64>,
    /// For list methods: the `start` value of the next page; absent on the last page.
    pub next: Option<u64>,
    /// Server timing and the method's operating-time budget; absent if the portal sent none
    /// or sent it in an unexpected shape.
    pub time: Option<Time>,
}

impl<T> Response<T> {
    /// A response holding `result` and no `total`, `next` or `time`.
    pub fn new(result: T) -> Self {
        Response {
            result,
            total: None,
            next: None,
            time: None,
        }
    }

    /// The same envelope with `f` applied to the result.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            result: f(self.result),
            total: self.total,
            next: self.next,
            time: self.time,
        }
    }
}

impl Response<Value> {
    /// Splits a decoded envelope object (already known to hold `result`); `total`, `next`
    /// and `time` are read leniently and dropped when malformed.
    pub(crate) fn from_object(mut obj: Map<String, Value>) -> Self {
        let result = obj.remove("result").unwrap_or(Value::Null);
        let total = obj
            .remove("total")
            .and_then(|v| Option::<u64>::decode(v).ok().flatten());
        let next = obj
            .remove("next")
            .and_then(|v| Option::<u64>::decode(v).ok().flatten());
        let time = obj.remove("time").and_then(|v| Time::deserialize(v).ok());
        Response {
            result,
            total,
            next,
            time,
        }
    }
}

/// Server-side timing of one call, from the envelope's `time` object.
///
/// All durations are in seconds (fractional); instants are Unix timestamps in seconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Time {
    /// When the server started handling the request, Unix time in seconds (fractional).
    #[serde(deserialize_with = "crate::wire::decode")]
    pub start: f64,
    /// When the server finished, Unix time in seconds (fractional).
    #[serde(deserialize_with = "crate::wire::decode")]
    pub finish: f64,
    /// `finish - start`, in seconds.
    #[serde(deserialize_with = "crate::wire::decode")]
    pub duration: f64,
    /// Time spent on the data itself (database work), in seconds.
    #[serde(deserialize_with = "crate::wire::decode")]
    pub processing: f64,
    /// `start` as an ISO 8601 date-time with the portal's offset, e.g.
    /// `"2026-05-14T10:26:32+02:00"`.
    #[serde(deserialize_with = "crate::wire::decode")]
    pub date_start: String,
    /// `finish` as an ISO 8601 date-time with the portal's offset.
    #[serde(deserialize_with = "crate::wire::decode")]
    pub date_finish: String,
    /// When the oldest one-minute basket of this method's operating time is released,
    /// Unix time in seconds. Wait until then after an `OPERATION_TIME_LIMIT` error.
    #[serde(default, deserialize_with = "crate::wire::decode")]
    pub operating_reset_at: Option<i64>,
    /// This method's accumulated execution time over the last 10 minutes, in seconds (the
    /// published limit is 480 s per 10 minutes; over it the method answers 429
    /// `OPERATION_TIME_LIMIT`).
    #[serde(default, deserialize_with = "crate::wire::decode")]
    pub operating: Option<f64>,
}
