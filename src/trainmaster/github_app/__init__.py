"""trainmaster as a GitHub App (issue 18): signed webhook intake, processing of each delivery
through the durable jobs, answers to custom deployment protection rules, and the App manifest."""
