-- PostgreSQL for several Relocation Radar replicas: an owner role that creates and migrates the schema, and an
-- app role that only reads and writes rows (it cannot create, alter or drop tables). Run as a superuser:
--   psql -v owner_role=radar_owner -v app_role=radar_app -v database=radar \
--        -v owner_password="$OWNER_PW" -v app_password="$APP_PW" -f deploy/postgres_roles.sql
-- then build the schema as the owner, and run the replicas as the app (DEPLOY.md).
CREATE ROLE :"owner_role" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"database" OWNER :"owner_role" ENCODING 'UTF8' TEMPLATE template0;
\connect :"database"
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"app_role";
-- The public schema belongs to the database owner; nobody else may create objects in it.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_role";
-- Tables and sequences the owner creates later (every migration) are open to the app for rows only.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
