/**
 * APIS Service Center API client ({{ role }}), dependency-free (fetch).
 *
 * Defines the global `client` with the methods of the original client.js. Every method takes the
 * original's parameters, then optional `(onSuccess, onError, onComplete)` callbacks, and returns a
 * Promise of the answer (parsed JSON, or text). URLs are relative to this script's own URL, so the
 * client works under APIS_URL_PREFIX and behind a proxy that moves the site to a sub-path. Mutating calls
 * are POSTs carrying a fresh CSRF token.
 */
{% url 'client-js' role=role as own_url %}(function (root) {
  "use strict";

  var ROLE = "{{ role|escapejs }}";
  var script = root.document && root.document.currentScript;
  // <prefix>/api/<role>/client.js → <prefix>/api/; without currentScript (e.g. loaded late) the URL the
  // server rendered this script at stands in for its own.
  var SCRIPT_URL = script ? script.src : new URL("{{ own_url|escapejs }}", root.location.href).href;
  var API_BASE = new URL("..", SCRIPT_URL).href;

  function ApiError(response, body) {
    this.name = "ApiError";
    this.status = response ? response.status : 0;
    this.responseText = body || "";
    this.message = response ? response.status + " " + this.responseText : body;
    this.response = response;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function encode(params) {
    var form = new URLSearchParams();
    Object.keys(params || {}).forEach(function (name) {
      var value = params[name];
      if (value === undefined || value === null) return;
      form.append(name, value instanceof Date ? value.toISOString() : String(value));
    });
    return form;
  }

  function parse(response, body) {
    var type = response.headers.get("Content-Type") || "";
    return body && type.indexOf("application/json") === 0 ? JSON.parse(body) : body;
  }

  function request(method, path, params) {
    var url = API_BASE + path;
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method === "GET") {
      var query = encode(params).toString();
      if (query) url += "?" + query;
    } else {
      init.body = encode(params);
    }
    return fetch(url, init).then(
      function (response) {
        return response.text().then(function (body) {
          if (!response.ok) throw new ApiError(response, body);
          return parse(response, body);
        });
      },
      function (error) {
        throw new ApiError(null, String(error));
      }
    );
  }

  function csrftoken() {
    return request("GET", "core/csrftoken").then(function (json) {
      return json.csrfmiddlewaretoken;
    });
  }

  function post(path, params) {
    return csrftoken().then(function (token) {
      return request("POST", path, Object.assign({}, params, { csrfmiddlewaretoken: token }));
    });
  }

  /** Report a call's outcome to the jQuery-style callbacks too; the Promise is returned as it is. */
  function settle(promise, onSuccess, onError, onComplete) {
    promise.then(
      function (data) {
        if (onSuccess) onSuccess(data, "success");
        if (onComplete) onComplete(data, "success");
      },
      function (error) {
        if (onError) onError(error, "error", error.message);
        if (onComplete) onComplete(error, "error");
      }
    );
    return promise;
  }

  /** The browser's current UTC offset as ±HH:MM. */
  function timezone() {
    var offset = -new Date().getTimezoneOffset();
    var abs = Math.abs(offset);
    var pad = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    return (offset < 0 ? "-" : "+") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  /**
   * A client method: `names` are its positional parameters, `send(params)` the request; callbacks follow.
   * `extra()` adds computed parameters.
   */
  function method(names, send, extra) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      var params = {};
      names.forEach(function (name, i) {
        params[name] = args[i];
      });
      Object.assign(params, extra ? extra() : {});
      var callbacks = args.slice(names.length);
      return settle(send(params), callbacks[0], callbacks[1], callbacks[2]);
    };
  }

  function get(path, names, extra) {
    return method(names || [], function (params) {
      return request("GET", path, params);
    }, extra);
  }

  function mutate(path, names) {
    return method(names || [], function (params) {
      return post(path, params);
    });
  }

  var prefix = ROLE + "/";
  var where = ROLE === "staff" ? ["communityId", "clusterId"] : ["communityId", "clusterId", "unitId"];
  var withWhere = function (names) {
    return where.concat(names || []);
  };

  var client = {
    session: get("core/session"),
    login: method(["username", "password"], function (params) {
      return post("core/login", params);
    }),
    logout: mutate("core/logout"),
    community: { outline: get(prefix + "community/outline") },
    unitData: { latestSet: get(prefix + "unitData/latestSet", where) },
    deal: {
      liveList: get(prefix + "deal/liveList", withWhere(["formatType"])),
      list: get(prefix + "deal/list", withWhere(["datetimeFrom", "datetimeTo", "formatType"])),
      datetimeRange: get(prefix + "deal/datetimeRange", where),
      sumOfCumulateAmountWhsByHour: get(prefix + "deal/sumOfCumulateAmountWhsByHour", where, function () {
        return { timezone: timezone() };
      }),
    },
  };

  if (ROLE === "staff") {
    client.unitData.unitIdList = get("staff/unitData/unitIdList", where);
    client.downtime = {
      unitIdList: get("staff/downtime/unitIdList", where),
      list: get("staff/downtime/list", withWhere(["unitId", "datetimeFrom", "datetimeTo"])),
    };
    client.monitoring = {
      failure: {
        openList: get("staff/monitoring/failure/openList", where),
        list: get("staff/monitoring/failure/list", withWhere(["datetimeFrom", "datetimeTo"])),
      },
      job: {
        list: get("staff/monitoring/job/list", where),
        activate: mutate("staff/monitoring/job/activate", withWhere(["type"])),
        deactivate: mutate("staff/monitoring/job/deactivate", withWhere(["type"])),
      },
    };
  } else {
    client.scenario = {
      availableList: get("resident/scenario/availableList", where),
      current: get("resident/scenario/current", where),
      choose: mutate("resident/scenario/choose", withWhere(["scenarioId"])),
    };
  }

  root.client = root.client || client;
})(typeof globalThis === "object" ? globalThis : self);
