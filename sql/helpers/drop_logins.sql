\set ECHO none
-- Shared by the suites that run as the README's roles: drops the login roles
-- of sql/helpers/logins.sql, and whatever they own, as the superuser.
RESET SESSION AUTHORIZATION;
SET client_min_messages = warning;
DROP OWNED BY regress_ops, regress_shop, regress_bi, regress_maint;
DROP ROLE regress_ops, regress_shop, regress_bi, regress_maint;
RESET client_min_messages;
\set ECHO all
