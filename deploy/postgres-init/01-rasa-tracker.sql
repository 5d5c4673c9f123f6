-- Rasa's tracker store gets its own database next to ours (run once, at the
-- first start of an empty PostgreSQL volume, by the official image).
CREATE DATABASE rasa OWNER feedbackbot;
