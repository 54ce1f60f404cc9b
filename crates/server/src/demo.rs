//! `shortlist demo`: a demo organisation, an admin account and sample content, created once and
//! reused on later runs, so a newcomer can click through the whole loop.

use crate::app::App;
use crate::config::CommonArgs;
use crate::serve::write_private;
use shortlist_app::recruiting::Actor;
use shortlist_app::recruiting::positions::NewPosition;
use shortlist_domain::template::TemplateSpec;
use shortlist_domain::{Email, Role, TemplateId, UserId};

const SAMPLE_KEY: &str = "sample-interview";

/// Creates the demo organisation and admin on first run; later runs reuse them. The generated
/// password is kept (owner-only file) in the data folder so it can be printed again.
pub async fn seed_demo(common: &CommonArgs, app: &App) -> anyhow::Result<(String, String)> {
    let email = "admin@demo.shortlist.localhost".to_string();
    let cred_file = common.data_dir.join("demo-credentials.txt");
    let org_id = match shortlist_store::orgs::find_by_slug(&app.db, "demo").await? {
        Some(org) => org.org_id()?,
        None => app
            .accounts
            .create_org("Demo Company", Some("demo"), true)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .org_id()?,
    };
    // Checked separately from the organisation so a run interrupted between the two steps is
    // completed by the next one.
    let known = Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
    if shortlist_store::users::find_by_email(&app.db, &org_id, &known)
        .await?
        .is_none()
    {
        let (_, password) = app
            .accounts
            .create_user(&org_id, &email, "Demo Admin", Role::Admin, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        write_private(&cred_file, &format!("{email}\n{}\n", password.unwrap_or_default()))?;
    }
    seed_sample_content(app, &org_id, &known).await?;
    let saved = std::fs::read_to_string(&cred_file).unwrap_or_default();
    let password = saved
        .lines()
        .nth(1)
        .unwrap_or("(see `shortlist admin user reset-password`)")
        .to_string();
    Ok((email, password))
}

/// A template with a question of each common kind and a position that uses it.
async fn seed_sample_content(app: &App, org: &shortlist_domain::OrgId, admin: &Email) -> anyhow::Result<()> {
    if shortlist_store::templates::find_by_key(&app.db, org, SAMPLE_KEY)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let Some(user) = shortlist_store::users::find_by_email(&app.db, org, admin).await? else {
        return Ok(());
    };
    let who = Actor {
        org_id: org.clone(),
        user_id: Some(UserId::parse(&user.id)?),
        role: Role::Admin,
        label: user.id.clone(),
    };
    let spec: TemplateSpec = serde_json::from_value(serde_json::json!({
        "name": "Sample interview",
        "description": "Three short questions to see how Shortlist works.",
        "closing_message": "Thank you! We will be in touch soon.",
        "practice_question": { "id": "practice", "kind": "video", "prompt": "Say hello to check your camera and microphone.",
                               "think_time_secs": 5, "answer_time_secs": 30, "retakes": 3 },
        "questions": [
            { "id": "intro", "kind": "video", "prompt": "Tell us about yourself and why this role interests you.",
              "think_time_secs": 30, "answer_time_secs": 120, "retakes": 1 },
            { "id": "situation", "kind": "text", "prompt": "Describe a time you turned an unhappy customer around." },
            { "id": "tools", "kind": "multiple_choice", "prompt": "Which tools have you used?", "multiple": true,
              "choices": [ { "id": "crm", "label": "A CRM", "correct": true },
                           { "id": "helpdesk", "label": "A help desk", "correct": true },
                           { "id": "none", "label": "None of these" } ] }
        ]
    }))?;
    let err = |e: shortlist_app::AppError| anyhow::anyhow!("seeding sample content: {e}");
    let template = app
        .recruiting
        .create_template(&who, SAMPLE_KEY, spec)
        .await
        .map_err(err)?;
    let position = NewPosition {
        title: "Customer Success Manager".into(),
        owner: None,
        template_ids: vec![TemplateId::parse(&template.id)?],
        external_refs: vec![],
    };
    app.recruiting.create_position(&who, position).await.map_err(err)?;
    Ok(())
}
