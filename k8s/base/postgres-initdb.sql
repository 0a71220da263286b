-- Runs once, on the first boot of an empty data directory (docker-entrypoint-initdb.d):
-- MLflow's basic-auth app keeps users and permissions in their own database.
CREATE DATABASE mlflow_auth;
