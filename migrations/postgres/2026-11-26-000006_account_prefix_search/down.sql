DROP INDEX accounts_phone_prefix;
DROP INDEX accounts_email_prefix;
DROP INDEX accounts_name_prefix;
DROP INDEX accounts_username_prefix;
