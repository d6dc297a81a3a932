//! Diesel table definitions, portable across Postgres and SQLite (the migrations of both backends create
//! exactly these columns).

diesel::table! {
    setups (id) {
        id -> SmallInt,
        version -> Text,
        setup_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        name -> Text,
        username -> Nullable<Text>,
        email -> Nullable<Text>,
        email_key -> Nullable<Text>,
        phone -> Nullable<Text>,
        country_code -> Nullable<Text>,
        avatar -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        status -> Text,
        interface_language -> Text,
        interface_theme -> Text,
        timezone -> Text,
        last_login_at -> Nullable<Timestamp>,
        last_login_ip -> Nullable<Text>,
        last_active_at -> Nullable<Timestamp>,
        initialized_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        description -> Nullable<Text>,
        partner_tier -> SmallInt,
        partner_type -> SmallInt,
        source -> Text,
        external_id -> Nullable<Text>,
        attributes -> Text,
        custom_attributes -> Text,
        idle_timeout_secs -> Nullable<BigInt>,
        max_session_secs -> Nullable<BigInt>,
        console_access -> Bool,
        open_api_access -> Bool,
        mfa_enabled -> Bool,
        password_change_on_first_login -> Bool,
        password_change_on_next_login -> Bool,
        password_changed_at -> Nullable<Timestamp>,
        password_changed_by -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        status_changed_by -> Nullable<Text>,
        deleted_at -> Nullable<Timestamp>,
        tokens_not_before -> Nullable<Timestamp>,
        system_role -> Nullable<Text>,
        system_role_assigned_by -> Nullable<Text>,
        mobile -> Nullable<Text>,
        wechat -> Nullable<Text>,
        address -> Nullable<Text>,
        gender -> Nullable<Text>,
        extend -> Text,
        token_generation -> BigInt,
    }
}

diesel::table! {
    enterprise_groups (id) {
        id -> Text,
        name -> Text,
        short_name -> Nullable<Text>,
        status -> Text,
        workspace_defaults -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    group_members (group_id, account_id) {
        group_id -> Text,
        account_id -> Text,
        role -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tenants (id) {
        id -> Text,
        number -> Nullable<BigInt>,
        name -> Text,
        description -> Nullable<Text>,
        status -> Text,
        locked -> Bool,
        group_id -> Nullable<Text>,
        code -> Nullable<Text>,
        plan -> Text,
        settings -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tenant_members (tenant_id, account_id) {
        tenant_id -> Text,
        account_id -> Text,
        role -> Text,
        position -> Nullable<Text>,
        permissions -> Text,
        is_current -> Bool,
        invited_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    datasets (id) {
        id -> Text,
        tenant_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        permission -> Text,
        provider -> Text,
        data_source_type -> Nullable<Text>,
        indexing_technique -> Nullable<Text>,
        embedding_model -> Nullable<Text>,
        embedding_model_provider -> Nullable<Text>,
        retrieval_model -> Nullable<Text>,
        doc_form -> Nullable<Text>,
        icon -> Nullable<Text>,
        icon_background -> Nullable<Text>,
        icon_type -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    dataset_members (dataset_id, account_id) {
        dataset_id -> Text,
        account_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_sessions (id) {
        id -> Text,
        account_id -> Text,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        absolute_expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        ip -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_digest) {
        token_digest -> Text,
        session_id -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    verification_codes (id) {
        id -> Text,
        purpose -> Text,
        account_id -> Nullable<Text>,
        email_key -> Text,
        code_digest -> Nullable<Text>,
        payload -> Text,
        attempts -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        consumed_at -> Nullable<Timestamp>,
        verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    throttles (key) {
        key -> Text,
        count -> BigInt,
        window_ends_at -> Timestamp,
    }
}

diesel::table! {
    access_keys (id) {
        id -> Text,
        account_id -> Text,
        access_key -> Text,
        secret_ciphertext -> Text,
        name -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_nonces (nonce_key) {
        nonce_key -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        at -> Timestamp,
        actor_account_id -> Nullable<Text>,
        actor_access_key_id -> Nullable<Text>,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        changes -> Text,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Text,
        recipient -> Text,
        template -> Text,
        language -> Text,
        payload -> Text,
        created_at -> Timestamp,
        due_at -> Timestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    account_identities (provider, subject) {
        provider -> Text,
        subject -> Text,
        account_id -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account_totp (account_id) {
        account_id -> Text,
        secret_ciphertext -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        last_used_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    account_recovery_codes (account_id, code_digest) {
        account_id -> Text,
        code_digest -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(group_members -> accounts (account_id));
diesel::joinable!(group_members -> enterprise_groups (group_id));
diesel::joinable!(tenant_members -> accounts (account_id));
diesel::joinable!(tenant_members -> tenants (tenant_id));
diesel::joinable!(refresh_tokens -> login_sessions (session_id));
diesel::joinable!(login_sessions -> accounts (account_id));
diesel::joinable!(datasets -> tenants (tenant_id));

diesel::allow_tables_to_appear_in_same_query!(
    setups,
    accounts,
    enterprise_groups,
    group_members,
    tenants,
    tenant_members,
    datasets,
    dataset_members,
    login_sessions,
    refresh_tokens,
    verification_codes,
    throttles,
    access_keys,
    request_nonces,
    audit_events,
    mail_outbox,
    account_identities,
    account_totp,
    account_recovery_codes,
);
