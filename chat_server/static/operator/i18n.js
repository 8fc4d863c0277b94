/* Operator page strings, Russian and English. */
window.OperatorStrings = {
  en: {
    login_title: "Operator login", email: "Email", password: "Password", login: "Log in",
    bad_credentials: "Wrong email or password", too_many_attempts: "Too many attempts, try again in a minute",
    app_title: "Support", tab_inbox: "Inbox", tab_ratings: "Ratings", tab_searches: "Failed searches",
    presence: "Presence", online: "Online", away: "Away", logout: "Log out",
    view_unassigned: "Unassigned", view_mine: "Mine", view_open: "All open", view_closed: "Closed",
    assignee: "Assignee", nobody: "— nobody —", assign_me: "Assign to me", close: "Close", reopen: "Reopen",
    mode_reply: "Reply", mode_note: "Internal note", send: "Send", reader: "Reader", context: "Context",
    earlier: "Earlier conversations", anonymous: "Anonymous reader", note: "Internal note",
    typing: "{name} is typing…", reader_typing: "The reader is typing…", connected: "connected",
    reconnecting: "reconnecting…", conversation: "Conversation", article: "Article", lang: "Language",
    sad_share: "Sad since last change", author: "Author", ratings_title: "Article ratings",
    searches_title: "Searches without results", csv: "Download CSV", query: "Query", count: "Count",
    last_seen: "Last seen", pages: "Pages", answered_by: "Answered by article", mark: "Mark answered",
    article_id_placeholder: "article id", rating: "Rating", read: "read", empty: "Nothing here", attach: "Attach"
  },
  ru: {
    login_title: "Вход для операторов", email: "Email", password: "Пароль", login: "Войти",
    bad_credentials: "Неверный email или пароль", too_many_attempts: "Слишком много попыток, подождите минуту",
    app_title: "Поддержка", tab_inbox: "Входящие", tab_ratings: "Оценки", tab_searches: "Поиск без результатов",
    presence: "Статус", online: "В сети", away: "Отошёл", logout: "Выйти",
    view_unassigned: "Без ответственного", view_mine: "Мои", view_open: "Все открытые", view_closed: "Закрытые",
    assignee: "Ответственный", nobody: "— никто —", assign_me: "Взять себе", close: "Закрыть", reopen: "Открыть снова",
    mode_reply: "Ответ", mode_note: "Заметка для своих", send: "Отправить", reader: "Читатель", context: "Контекст",
    earlier: "Прошлые обращения", anonymous: "Анонимный читатель", note: "Внутренняя заметка",
    typing: "{name} печатает…", reader_typing: "Читатель печатает…", connected: "на связи",
    reconnecting: "переподключаемся…", conversation: "Обращение", article: "Статья", lang: "Язык",
    sad_share: "Доля 😞 с последней правки", author: "Автор", ratings_title: "Оценки статей",
    searches_title: "Запросы без результатов", csv: "Скачать CSV", query: "Запрос", count: "Сколько раз",
    last_seen: "Последний раз", pages: "Страницы", answered_by: "Ответ в статье", mark: "Отметить",
    article_id_placeholder: "id статьи", rating: "Оценка", read: "прочитано", empty: "Пусто", attach: "Файл"
  }
};
