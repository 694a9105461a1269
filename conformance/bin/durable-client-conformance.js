#!/usr/bin/env node
// npx @durable-client/conformance --adapter ./my-adapter [--suite NAME] [--case NAME] [--format json]
// The runner is plain JavaScript in ../dist (built from src/runner by tsup).
import "../dist/cli.js"
