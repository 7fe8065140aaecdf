//! An event handler's core: parse a delivery body with `bitrix24::events::Event::parse`
//! and act on the typed event.
//!
//! Run with `cargo run -p bitrix24-tests --example event_handler`. The body is a recorded
//! delivery of `onCrmActivityAdd` (`on-crm-activity-add.form`, built from the documented
//! example, with the event name upper-cased as portals send it); a web framework would
//! hand the POST body to `handle` the same way. The application token is the one the
//! portal sent at installation (`ONAPPINSTALL`); here the documented one, or
//! `$BITRIX24_APPLICATION_TOKEN`.

use bitrix24::events::{Event, EventError, ExposeSecret, SecretString};

/// The recorded POST body.
const BODY: &str = include_str!("on-crm-activity-add.form");

/// The documented example's application token.
const DOCUMENTED_TOKEN: &str = "51856fefc120afa4b628cc82d3935cce";

/// Handles one delivery; returns the HTTP status to answer. Bitrix24 never retries a
/// failed delivery, so every error is logged before answering.
fn handle(body: &[u8], token: &SecretString) -> u16 {
    match Event::parse(body, token) {
        Ok(Event::OnCrmActivityAdd(delivery)) => {
            let id = delivery.data.fields.as_ref().and_then(|f| f.id);
            println!(
                "activity {id:?} added on {} at {} (handler {:?})",
                delivery.auth.domain, delivery.ts, delivery.event_handler_id
            );
            if let Some(access) = delivery.auth.access_token() {
                // Call back into the portal as the user who triggered the event.
                println!(
                    "  an access token of {} characters came along",
                    access.expose_secret().len()
                );
            }
            println!("  typed: {delivery:#?}");
            200
        }
        Ok(Event::OnCrmActivityUpdate(delivery)) => {
            println!("activity updated: {:?}", delivery.data);
            200
        }
        Ok(other) => {
            println!(
                "not handled: `{}` from {}",
                other.name(),
                other.auth().domain
            );
            200
        }
        Err(e @ EventError::Unauthenticated(_)) => {
            eprintln!("rejected: {e}");
            401
        }
        Err(e) => {
            eprintln!("bad delivery: {e}");
            400
        }
    }
}

fn main() {
    let token =
        std::env::var("BITRIX24_APPLICATION_TOKEN").unwrap_or_else(|_| DOCUMENTED_TOKEN.to_owned());
    let token = SecretString::from(token);
    let status = handle(BODY.trim_end().as_bytes(), &token);
    println!("answer: HTTP {status}");
    let forged = SecretString::from("not the application token");
    println!(
        "the same body with another token: HTTP {}",
        handle(BODY.trim_end().as_bytes(), &forged)
    );
}
