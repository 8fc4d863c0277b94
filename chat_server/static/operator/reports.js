/* Operator reports: article ratings and searches that found nothing (with CSV and «answered»). */
(function () {
  "use strict";
  var A = window.OperatorApi;
  function cell(row, text) { var td = A.el("td", "", text); row.appendChild(td); return td; }

  function ratings() {
    A.api("/api/operator/ratings").then(function (data) {
      var body = document.getElementById("ratings-rows");
      body.textContent = "";
      data.ratings.forEach(function (r) {
        var row = A.el("tr");
        var title = cell(row, "");
        if (r.url) {
          var link = A.el("a", "", r.title || r.article_id);
          link.href = r.url;  // a site path from the build manifest, not reader input
          title.appendChild(link);
        } else title.textContent = r.title || r.article_id;
        cell(row, r.lang);
        cell(row, r.happy);
        cell(row, r.neutral);
        cell(row, r.sad);
        cell(row, Math.round(r.sad_share * 100) + "% (" + r.since_change_sad + "/" + r.since_change_total + ")");
        cell(row, r.author);
        body.appendChild(row);
      });
    });
  }

  function searches() {
    A.api("/api/operator/failed-searches").then(function (data) {
      var body = document.getElementById("searches-rows");
      body.textContent = "";
      data.failed_searches.forEach(function (f) {
        var row = A.el("tr");
        cell(row, f.query);
        cell(row, f.lang);
        cell(row, f.count);
        cell(row, A.time(f.last_seen));
        cell(row, f.pages.join(" "));
        var action = cell(row, "");
        var form = A.el("form", "answer-form");
        var input = A.el("input");
        input.placeholder = A.s("article_id_placeholder");
        input.required = true;
        var button = A.el("button", "", A.s("mark"));
        button.type = "submit";
        form.appendChild(input);
        form.appendChild(button);
        form.addEventListener("submit", function (e) {
          e.preventDefault();
          A.api("/api/operator/failed-searches/" + f.id + "/answer", { article_id: input.value.trim() }).then(searches);
        });
        action.appendChild(form);
        body.appendChild(row);
      });
    });
  }

  window.OperatorReports = { ratings: ratings, searches: searches };
})();
