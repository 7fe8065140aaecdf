//! Calls typed methods through an inbound webhook, against the fake portal.
//!
//! Run with `cargo run -p bitrix24 --example webhook_call --features testing`.
//!
//! The portal answers `crm.calllist.add` with a handler and `crm.calllist.get` with the
//! shape the real portal sends (numbers as strings); the typed client decodes both, and a
//! documented error comes back as an [`ErrorCode`].

use bitrix24::crm::calllist::add::{Add, EntityType};
use bitrix24::crm::calllist::get::Get;
use bitrix24::testing::{FakePortal, MethodError};
use bitrix24::{Client, ErrorCode};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let portal = FakePortal::start().await?;
    portal.on("crm.calllist.add", |params| {
        if params["ENTITIES"].as_array().is_none_or(Vec::is_empty) {
            return Err(MethodError::new(
                400,
                "ENTITIES_ERROR",
                "Entities is not array",
            ));
        }
        Ok(json!(11))
    });
    portal.on("crm.calllist.get", |params| {
        Ok(json!({
            "ID": params["ID"].to_string(), "ENTITY_TYPE": "CONTACT", "ENTITY_TYPE_ID": "3",
            "WEBFORM_ID": "5", "CREATED_BY_ID": "1", "DATE_CREATE": "2025-07-14 08:47:19"
        }))
    });

    // A real application passes "https://<portal>/rest/<user_id>/<code>/" to
    // `Client::webhook`; the fake portal serves plain http on 127.0.0.1.
    let client = Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .build()?;
    println!("client: {client:?}");

    let id: i64 = client
        .call(Add::new(EntityType::Contact, [1, 2, 3]).webform_id(5))
        .await?;
    println!("crm.calllist.add -> {id}");

    let list = client.call(Get::new(id)).await?;
    println!(
        "crm.calllist.get -> id {:?}, entity type {:?} ({:?}), web form {:?}",
        list.id, list.entity_type, list.entity_type_id, list.webform_id
    );

    let err = client
        .call(Add::new(EntityType::Contact, Vec::<i64>::new()))
        .await
        .expect_err("an empty ENTITIES is refused");
    match ErrorCode::of(&err) {
        Some(ErrorCode::EntitiesError) => println!("refused as documented: {err}"),
        other => println!("unexpected error {other:?}: {err}"),
    }
    println!(
        "portal saw {} requests; calls: {:?}",
        portal.request_count(),
        portal.call_counts()
    );
    Ok(())
}
