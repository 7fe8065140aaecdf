//! Streaming and exporting through the generated request types (`bitrix24::user::get::Get`,
//! `bitrix24::crm::item::list::List`), against wiremock on 127.0.0.1.

use bitrix24::futures_util::TryStreamExt;
use bitrix24::{Client, ListMethod};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn client(server: &MockServer) -> Client {
    Client::builder(&format!("{}/rest/1/abc123/", server.uri()))
        .allow_insecure_loopback()
        .build()
        .unwrap()
}

#[tokio::test]
async fn user_get_exports_with_sort_and_order() {
    assert_eq!(<bitrix24::user::get::Get as ListMethod>::FILTER, "FILTER");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/1/abc123/user.get"))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            assert_eq!(body["sort"], "ID");
            assert_eq!(body["order"], "ASC");
            assert_eq!(body["start"], -1);
            assert_eq!(body["FILTER"], json!({"ACTIVE": true, ">ID": 0}));
            let rows: Vec<Value> = (1..=30).map(|i| json!({"ID": i.to_string()})).collect();
            ResponseTemplate::new(200).set_body_json(json!({"result": rows, "total": 0}))
        })
        .expect(1)
        .mount(&server)
        .await;
    let mut filter = bitrix24::serde_json::Map::new();
    filter.insert("ACTIVE".into(), json!(true));
    let request = bitrix24::user::get::Get::new()
        .filter(filter)
        .order(bitrix24::user::get::Order::Desc);
    let rows: Vec<_> = client(&server)
        .await
        .export(request)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(rows.len(), 30);
}

#[tokio::test]
async fn crm_item_list_exports_in_one_batch() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/1/abc123/batch"))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            let cmd1 = body["cmd"]["cmd1"].as_str().unwrap();
            assert!(cmd1.starts_with("crm.item.list?entityTypeId=2&"), "{cmd1}");
            assert!(cmd1.contains("order[id]=ASC"), "{cmd1}");
            assert!(
                cmd1.contains("filter[>id]=$result[cmd0][items][49][id]"),
                "{cmd1}"
            );
            let items: Vec<Value> = (1..=10).map(|i| json!({"id": i, "title": "x"})).collect();
            ResponseTemplate::new(200).set_body_json(json!({
                "result": {"result": {"cmd0": {"items": items}}, "result_error": []}
            }))
        })
        .expect(1)
        .mount(&server)
        .await;
    let rows: Vec<_> = client(&server)
        .await
        .export_batched(bitrix24::crm::item::list::List::new(2))
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[9]["id"], 10);
}
