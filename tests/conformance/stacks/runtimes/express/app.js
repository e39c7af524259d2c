// An Express app served through serverless-express, as such apps are deployed on Lambda.
const serverlessExpress = require("@codegenie/serverless-express");
const express = require("express");

const app = express();
app.get("/express/items/:id", (req, res) => res.json({ item: req.params.id, query: req.query }));
// Behind a {proxy+} resource, serverless-express gives the app the proxy path (`/a/b`).
app.all("*", express.json(), (req, res) => res.json({ method: req.method, path: req.path, body: req.body }));

exports.handler = serverlessExpress({ app });
