#!/usr/bin/env bash
# The text model's training (scripts/train_model.sh text-corpus [MINUTES]), under its first name.
exec bash "$(dirname "$0")/train_model.sh" text-corpus "$@"
