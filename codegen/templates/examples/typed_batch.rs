//! Three typed commands in one `batch` request; the second refers to the first's result
//! with `$result[...]`, the third fails, and each result or error is read by its handle.
//!
//! Run with `cargo run -p bitrix24 --example typed_batch --features testing`.

use bitrix24::crm::calllist::add::{Add, EntityType};
use bitrix24::crm::calllist::get::Get;
use bitrix24::testing::{FakePortal, MethodError};
use bitrix24::{Client, ErrorCode};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let portal = FakePortal::start().await?;
    portal.on("crm.calllist.add", |_| Ok(json!(42)));
    portal.on("crm.calllist.get", |p| match p["ID"].as_str() {
        Some("42") => Ok(json!({"ID": "42", "ENTITY_TYPE": "CONTACT", "WEBFORM_ID": "5"})),
        _ => Err(MethodError::new(
            400,
            "ERROR_NOT_FOUND",
            "Call list not found",
        )),
    });
    let client = Client::builder(&portal.webhook_url())
        .allow_insecure_loopback()
        .build()?;

    let mut batch = client.batch();
    let added = batch.push(Add::new(EntityType::Contact, [1, 2]).webform_id(5))?;
    // `$result[cmd0]`: the whole result of the first command (the new ID). `Get::new`
    // takes an integer and the reference is a string, so it goes in through
    // `insert_extra` under the parameter's name (`id` or its wire name `ID`): it replaces
    // the `ID` the constructor set, so `ID` is sent once, as the reference.
    let new_id = added.result();
    let fetched = batch.push(Get::new(0).insert_extra("id", new_id))?;
    let missing = batch.push(Get::new(999))?;
    println!(
        "commands: {:?}",
        [
            batch.command(&added),
            batch.command(&fetched),
            batch.command(&missing)
        ]
    );
    let results = batch.send().await?;

    println!("{} -> {:?}", added.key(), results.get(&added));
    let list = results.get(&fetched)?;
    println!(
        "{} -> id {:?}, web form {:?}",
        fetched.key(),
        list.id,
        list.webform_id
    );
    match results.get(&missing) {
        Ok(list) => println!("{} -> unexpectedly found {list:?}", missing.key()),
        Err(e) => println!(
            "{} -> error {:?}: {e}",
            missing.key(),
            e.api().map(|a| ErrorCode::from_code(&a.code))
        ),
    }
    println!("HTTP requests: {}", portal.request_count());
    Ok(())
}
